#include "config/ipv4.h"

#include <stdio.h>
#include <string.h>

int ipv4_parse(const char *s, size_t len, uint32_t *addr)
{
  uint32_t value = 0;
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= len || s[i] != '.')
        return -1;
      i++;
    }
    size_t start = i;
    unsigned octet = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 4) {
      octet = octet * 10 + (unsigned)(s[i] - '0');
      i++;
    }
    size_t digits = i - start;
    if (digits == 0 || digits > 3 || octet > 255 || (digits > 1 && s[start] == '0'))
      return -1;
    value = (value << 8) | octet;
  }
  if (i != len)
    return -1;
  *addr = value;
  return 0;
}

void ipv4_format(uint32_t addr, char out[CFG_IPV4_STRLEN])
{
  snprintf(out, CFG_IPV4_STRLEN, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
           addr & 255);
}

static uint32_t prefix_mask(unsigned prefix)
{
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int ipv4_net_parse(const char *s, struct cfg_ipv4_net *net, const char **why)
{
  const char *slash = strchr(s, '/');
  if (slash == NULL) {
    *why = "has no prefix length; write it as a CIDR such as \"10.231.0.0/24\"";
    return -1;
  }
  uint32_t addr;
  if (ipv4_parse(s, (size_t)(slash - s), &addr) < 0) {
    *why = "is not a canonical IPv4 CIDR (four numbers 0-255 without leading zeros, then "
           "/prefix), e.g. \"10.231.0.0/24\"";
    return -1;
  }
  const char *p = slash + 1;
  size_t digits = strspn(p, "0123456789");
  if (digits == 0 || digits > 2 || p[digits] != '\0' || (digits == 2 && p[0] == '0')) {
    *why = "has an invalid prefix length; write a number 0-32 after '/', e.g. \"/24\"";
    return -1;
  }
  unsigned prefix = (unsigned)(p[0] - '0');
  if (digits == 2)
    prefix = prefix * 10 + (unsigned)(p[1] - '0');
  if (prefix > 32) {
    *why = "has a prefix length above 32";
    return -1;
  }
  if ((addr & ~prefix_mask(prefix)) != 0) {
    *why = "has host bits set; use the network address (the address with the bits after the "
           "prefix cleared)";
    return -1;
  }
  net->addr = addr;
  net->prefix = prefix;
  char ip[CFG_IPV4_STRLEN];
  ipv4_format(addr, ip);
  snprintf(net->text, sizeof(net->text), "%s/%u", ip, prefix);
  return 0;
}

int ipv4_nets_overlap(const struct cfg_ipv4_net *a, const struct cfg_ipv4_net *b)
{
  unsigned shorter = a->prefix < b->prefix ? a->prefix : b->prefix;
  uint32_t mask = prefix_mask(shorter);
  return (a->addr & mask) == (b->addr & mask);
}

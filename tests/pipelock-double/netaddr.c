#include "tests/pipelock-double/netaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void unmap_v4(struct ipaddr *ip)
{
  static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ip->family == AF_INET6 && memcmp(ip->b, prefix, 12) == 0) {
    memmove(ip->b, ip->b + 12, 4);
    memset(ip->b + 4, 0, 12);
    ip->family = AF_INET;
  }
}

bool ipaddr_parse(const char *s, struct ipaddr *out)
{
  memset(out, 0, sizeof(*out));
  /* glibc's inet_pton(AF_INET) already refuses leading zeros, like Go. */
  if (inet_pton(AF_INET, s, out->b) == 1) {
    out->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s, out->b) == 1) {
    out->family = AF_INET6;
    unmap_v4(out);
    return true;
  }
  return false;
}

void ipaddr_format(const struct ipaddr *ip, char *buf, size_t len)
{
  if (!inet_ntop(ip->family, ip->b, buf, (socklen_t)len))
    snprintf(buf, len, "?");
}

static int family_bits(int family)
{
  return family == AF_INET ? 32 : 128;
}

static bool host_bits_clear(const struct ipaddr *ip, int prefix)
{
  int bits = family_bits(ip->family);
  for (int i = prefix; i < bits; i++)
    if (ip->b[i / 8] & (0x80 >> (i % 8)))
      return false;
  return true;
}

static void mask_host_bits(struct ipaddr *ip, int prefix)
{
  int bits = family_bits(ip->family);
  for (int i = prefix; i < bits; i++)
    ip->b[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
}

static int split_cidr(const char *s, struct cidr *out)
{
  const char *slash = strchr(s, '/');
  if (!slash || slash == s || strlen(slash + 1) == 0 || strlen(slash + 1) > 3)
    return -1;
  char addr[64];
  size_t alen = (size_t)(slash - s);
  if (alen >= sizeof(addr))
    return -1;
  memcpy(addr, s, alen);
  addr[alen] = '\0';
  const char *p = slash + 1;
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q))
      return -1;
  if (p[0] == '0' && p[1] != '\0')
    return -1;
  struct ipaddr ip;
  memset(&ip, 0, sizeof(ip));
  if (inet_pton(AF_INET, addr, ip.b) == 1)
    ip.family = AF_INET;
  else if (inet_pton(AF_INET6, addr, ip.b) == 1)
    ip.family = AF_INET6;
  else
    return -1;
  int prefix = atoi(p);
  if (prefix > family_bits(ip.family))
    return -1;
  out->net = ip;
  out->prefix = prefix;
  return 0;
}

int cidr_parse_loose(const char *s, struct cidr *out)
{
  if (split_cidr(s, out) < 0)
    return -1;
  mask_host_bits(&out->net, out->prefix);
  return 0;
}

int cidr_parse_strict(const char *s, struct cidr *out, char *err, size_t errlen)
{
  if (split_cidr(s, out) < 0) {
    snprintf(err, errlen,
             "invalid CIDR address: %s (write a network with a prefix, e.g. \"10.0.0.5/32\")", s);
    return -1;
  }
  if (out->prefix == 0) {
    snprintf(err, errlen, "%s: prefix length 0 allows every address", s);
    return -1;
  }
  if (!host_bits_clear(&out->net, out->prefix)) {
    struct ipaddr masked = out->net;
    char buf[INET6_ADDRSTRLEN];
    mask_host_bits(&masked, out->prefix);
    ipaddr_format(&masked, buf, sizeof(buf));
    snprintf(err, errlen, "%s has host bits set (did you mean \"%s/%d\"?)", s, buf, out->prefix);
    return -1;
  }
  return 0;
}

bool cidr_contains(const struct cidr *c, const struct ipaddr *ip)
{
  /* Addresses arrive with v4-mapped IPv6 already unmapped (ipaddr_parse). */
  if (c->net.family != ip->family)
    return false;
  for (int i = 0; i < c->prefix; i++) {
    unsigned char bit = (unsigned char)(0x80 >> (i % 8));
    if ((c->net.b[i / 8] & bit) != (ip->b[i / 8] & bit))
      return false;
  }
  return true;
}

bool ipv4_canonicalize(const char *host, char *out, size_t outlen)
{
  /* inet_aton tolerates trailing text after whitespace; allow only address characters. */
  if (!*host)
    return false;
  for (const char *p = host; *p; p++)
    if (!isxdigit((unsigned char)*p) && *p != '.' && *p != 'x' && *p != 'X')
      return false;
  if (!isdigit((unsigned char)host[0]))
    return false;
  struct in_addr a;
  if (inet_aton(host, &a) == 0)
    return false;
  return inet_ntop(AF_INET, &a, out, (socklen_t)outlen) != NULL;
}

static bool in_list(const char *const *list, size_t n, const struct ipaddr *ip)
{
  for (size_t i = 0; i < n; i++) {
    struct cidr c;
    if (cidr_parse_loose(list[i], &c) == 0 && cidr_contains(&c, ip))
      return true;
  }
  return false;
}

bool ip_in_default_internal(const struct ipaddr *ip)
{
  static const char *const ranges[] = {
      "0.0.0.0/8",      "127.0.0.0/8",    "10.0.0.0/8",    "172.16.0.0/12",
      "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "::1/128",
      "fc00::/7",       "fe80::/10",      "224.0.0.0/4",   "ff00::/8",
  };
  return in_list(ranges, sizeof(ranges) / sizeof(ranges[0]), ip);
}

bool ip_in_core_internal(const struct ipaddr *ip)
{
  static const char *const ranges[] = {
      "127.0.0.0/8",   "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
      "100.64.0.0/10", "::1/128",    "fc00::/7",      "fe80::/10",
  };
  return in_list(ranges, sizeof(ranges) / sizeof(ranges[0]), ip);
}

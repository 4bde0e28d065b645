#include "config/hostname.h"

#include <stdbool.h>
#include <string.h>

#include "config/ipv4.h"

static bool has_bytes(const char *s, size_t len, const char *needle)
{
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(s + i, needle, n) == 0)
      return true;
  return false;
}

static size_t count_byte(const char *s, size_t len, char c)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += s[i] == c;
  return n;
}

/* Rejections visible on the raw text, before any normalisation. */
static const char *raw_problem(const char *in, size_t len)
{
  if (len == 0)
    return "is empty; remove the entry or write a host name";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c < 0x20 || c == 0x7f)
      return "contains a control character; write a plain host name";
    if (c == ' ')
      return "contains a space; write one host name per entry";
    if (c >= 0x80)
      return "contains non-ASCII characters; write internationalised names in their "
             "punycode form (xn--...)";
  }
  if (has_bytes(in, len, "://"))
    return "is a URL; write only the host name, e.g. \"example.com\"";
  if (memchr(in, '/', len))
    return "contains '/'; write only the host name, without a path or prefix length";
  if (memchr(in, '[', len) || memchr(in, ']', len) || count_byte(in, len, ':') >= 2)
    return "is an IPv6 literal; bottle supports IPv4 literals and host names only";
  if (memchr(in, ':', len))
    return "has a port (host:port); ports are not part of the allowlist (every port of an "
           "allowed host is reachable), write only the host";
  if (memchr(in, '@', len))
    return "contains '@'; write only the host name, without a user";
  return NULL;
}

static bool all_digits(const char *s, size_t len)
{
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

int host_normalize(const char *in, size_t len, char out[CFG_HOST_MAX + 1], enum cfg_host_kind *kind,
                   const char **why)
{
  const char *problem = raw_problem(in, len);
  if (problem) {
    *why = problem;
    return -1;
  }
  if (in[len - 1] == '.')
    len--; /* the root label: "example.com." is "example.com" */
  if (len == 0) {
    *why = "is empty; remove the entry or write a host name";
    return -1;
  }
  if (len > CFG_HOST_MAX) {
    *why = "is longer than 253 characters, the longest DNS name";
    return -1;
  }
  char name[CFG_HOST_MAX + 1];
  for (size_t i = 0; i < len; i++) {
    char c = in[i];
    name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  name[len] = '\0';

  if (strcmp(name, "*") == 0) {
    *why = "is a bare '*', which would allow every host; list the hosts (or '*.domain') instead";
    return -1;
  }
  bool wildcard = strncmp(name, "*.", 2) == 0;
  const char *labels = wildcard ? name + 2 : name;
  if (strchr(labels, '*')) {
    *why = "has '*' somewhere other than a leading \"*.\"; wildcards are written "
           "\"*.example.com\" (matching example.com and all its subdomains)";
    return -1;
  }

  size_t nlabels = 0;
  const char *label = labels, *last = labels;
  size_t last_len = 0;
  for (;;) {
    const char *dot = strchr(label, '.');
    size_t llen = dot ? (size_t)(dot - label) : strlen(label);
    if (llen == 0) {
      *why = "has an empty label (a leading dot or \"..\"); write the name without them";
      return -1;
    }
    if (llen > 63) {
      *why = "has a label longer than 63 characters, which DNS cannot carry";
      return -1;
    }
    for (size_t i = 0; i < llen; i++) {
      char c = label[i];
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        *why = "contains a character other than letters, digits, '-', '_' and '.'; write a "
               "plain host name";
        return -1;
      }
    }
    nlabels++;
    last = label;
    last_len = llen;
    if (dot == NULL)
      break;
    label = dot + 1;
  }

  /* No top-level domain is numeric, and resolvers read such names as IPv4 numbers
   * ("10.1" is 10.0.0.1), so an all-digit last label must be a canonical address. */
  if (all_digits(last, last_len)) {
    if (wildcard) {
      *why = "is a wildcard over an IP address; wildcards apply to names only, list the "
             "address itself";
      return -1;
    }
    uint32_t addr;
    if (ipv4_parse(labels, strlen(labels), &addr) < 0) {
      *why = "looks like an IPv4 address but is not a canonical dotted quad (four numbers "
             "0-255 without leading zeros, e.g. \"10.20.0.5\")";
      return -1;
    }
    ipv4_format(addr, out);
    *kind = CFG_HOST_IPV4;
    return 0;
  }
  if (wildcard && nlabels < 2) {
    *why = "is a wildcard over a whole top-level domain; \"*.\" needs at least two labels "
           "after it, e.g. \"*.example.com\"";
    return -1;
  }
  memcpy(out, name, len + 1);
  *kind = wildcard ? CFG_HOST_WILDCARD : CFG_HOST_NAME;
  return 0;
}

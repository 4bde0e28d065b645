/* IP addresses and CIDRs as pipelock treats them: canonical parsing for the
 * config (pipelock.md §2), hex/octal/integer IPv4 canonicalisation for request
 * hosts (§3.7 step 2), and the default internal ranges (§4.1). */
#ifndef PIPELOCK_DOUBLE_NETADDR_H
#define PIPELOCK_DOUBLE_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

struct ipaddr {
  int family;          /* AF_INET or AF_INET6; v4-mapped v6 is stored as AF_INET */
  unsigned char b[16]; /* AF_INET uses the first 4 bytes */
};

struct cidr {
  struct ipaddr net;
  int prefix;
};

/* Strict textual address (dotted decimal without leading zeros, or IPv6). */
bool ipaddr_parse(const char *s, struct ipaddr *out);
void ipaddr_format(const struct ipaddr *ip, char *buf, size_t len);

/* Parses a canonical CIDR "a.b.c.d/NN" or "v6/NN"; rejects a bare address, /0
 * and set host bits. err gets the reason. */
int cidr_parse_strict(const char *s, struct cidr *out, char *err, size_t errlen);
/* Parses any CIDR Go's net.ParseCIDR accepts (host bits allowed, masked off). */
int cidr_parse_loose(const char *s, struct cidr *out);
bool cidr_contains(const struct cidr *c, const struct ipaddr *ip);

/* If host is an IPv4 address in any inet_aton form (hex, octal, integer,
 * fewer parts), writes its dotted-decimal form and returns true. */
bool ipv4_canonicalize(const char *host, char *out, size_t outlen);

/* The twelve default `internal` CIDRs (§4.1), used when `internal` is absent. */
bool ip_in_default_internal(const struct ipaddr *ip);
/* The immutable core list merged in whenever SSRF checking is active (§4.1). */
bool ip_in_core_internal(const struct ipaddr *ip);

#endif

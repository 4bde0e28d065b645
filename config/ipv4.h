/* IPv4 addresses and prefixes in the one spelling every consumer agrees on: dotted decimal, no
 * leading zeros (Go's parser, which pipelock uses, rejects them; C's inet_aton reads them as
 * octal), prefixes without host bits. */
#ifndef BOTTLE_CONFIG_IPV4_H
#define BOTTLE_CONFIG_IPV4_H

#include <stddef.h>
#include <stdint.h>

#define CFG_IPV4_STRLEN 16 /* "255.255.255.255" + NUL */
#define CFG_CIDR_STRLEN 19 /* "255.255.255.255/32" + NUL */

struct cfg_ipv4_net {
  uint32_t addr; /* host byte order, no host bits */
  unsigned prefix;
  char text[CFG_CIDR_STRLEN]; /* canonical "a.b.c.d/n" */
};

/* Parses a canonical dotted quad of exactly len bytes. Returns 0 or -1. */
int ipv4_parse(const char *s, size_t len, uint32_t *addr);
void ipv4_format(uint32_t addr, char out[CFG_IPV4_STRLEN]);
/* Parses canonical "a.b.c.d/n". On failure returns -1 with *why set to a reason and fix. */
int ipv4_net_parse(const char *s, struct cfg_ipv4_net *net, const char **why);
int ipv4_nets_overlap(const struct cfg_ipv4_net *a, const struct cfg_ipv4_net *b);

#endif

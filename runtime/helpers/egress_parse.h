/* The parsers of bottle-egress (runtime/helpers/bottle_egress.c) over bytes the agent writes: a
 * TLS ClientHello's SNI, an HTTP request head's Host, a DNS query. Pure functions over (buffer,
 * length), no I/O, so that the fuzzers (tests/fuzz/fuzz_egress_*.c) reach all of them. */
#ifndef BOTTLE_EGRESS_PARSE_H
#define BOTTLE_EGRESS_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EGRESS_IN_MAX 16384 /* a ClientHello record or a request head, at most */
#define EGRESS_HOST_MAX 253

/* Lower-cases name in place and drops one trailing dot; false unless it is a host name made of
 * letters, digits, '-', '_' and '.', which is all that ever goes into a CONNECT line. */
bool egress_normalise_host(char *name);

bool egress_is_ipv4_literal(const char *h);

/* pipelock's MatchDomain (pipelock.md §4) of host against n patterns: "*.x" matches x and any
 * name under it, other patterns only themselves; wildcards never apply to IP literals. */
bool egress_host_matches(char *const *patterns, size_t n, const char *host);

/* The SNI of a complete ClientHello record in b: 1 found (name set), 0 none, -1 need more, -2
 * not a hello. */
int egress_client_hello_sni(const unsigned char *b, size_t len, char *name, size_t namecap);

/* The request head at the start of buf rewritten to absolute form for the
 * proxy, as port is the port the agent dialled: 1 done (*head, *head_len set, host filled,
 * *consumed the bytes of the head in buf), 0 need more, -1 refused (*why set). */
int egress_http_head(const char *buf, size_t len, uint16_t port, char *host, size_t hostcap,
                     char **head, size_t *head_len, size_t *consumed, const char **why);

/* The CONNECT request for host (a name egress_normalise_host accepted) and port, as pipelock is
 * asked for a ClientHello's SNI; malloc'd, NULL when out of memory. */
char *egress_connect_head(const char *host, uint16_t port, size_t *len);

/* Whether the resolver answers name (normalised) with the link address. */
typedef bool egress_allowed_fn(const char *name, void *ctx);

/* The answer to one DNS message q (UDP payload or TCP frame body) in out; 0 drops it. An allowed
 * name gets an A record with addr. */
size_t egress_dns_answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap,
                         const struct in_addr *addr, egress_allowed_fn *name_allowed, void *ctx);

#endif

/* Name resolution without glibc NSS (the sidecar image is static and has no
 * libnss): /etc/hosts, then one DNS A query over UDP to the first nameserver of
 * /etc/resolv.conf (127.0.0.1 when there is none, as Go does).
 *
 * Test knobs (never set in a bundle): PIPELOCK_DOUBLE_HOSTS and
 * PIPELOCK_DOUBLE_RESOLV_CONF replace the two file paths, and
 * PIPELOCK_DOUBLE_NAMESERVER=IP[:PORT] replaces the nameserver. */
#ifndef PIPELOCK_DOUBLE_RESOLVER_H
#define PIPELOCK_DOUBLE_RESOLVER_H

#include <stddef.h>

#include "tests/pipelock-double/netaddr.h"

/* Returns how many addresses were written to out (at least 1), or -1 with err
 * set to a Go-like "lookup NAME on SERVER: ..." message. */
int resolve_host(const char *name, struct ipaddr *out, size_t max, char *err, size_t errlen);

/* Encodes a DNS query for name/qtype; returns the length or -1. Shared with the
 * fake DNS server's decoder tests. */
int dns_encode_query(unsigned short id, const char *name, unsigned short qtype, unsigned char *buf,
                     size_t buflen);
/* Reads the (possibly compressed) name at *off into out as dotted text and
 * advances *off past it. */
int dns_read_name(const unsigned char *msg, size_t len, size_t *off, char *out, size_t outlen);

#endif

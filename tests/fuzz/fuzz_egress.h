/* Invariants shared by the egress fuzzers (fuzz_egress_*.c): what the redirector hands pipelock
 * must be exactly the name it parsed, in one request line, and nothing the agent can stretch. */
#ifndef BOTTLE_FUZZ_EGRESS_H
#define BOTTLE_FUZZ_EGRESS_H

#include "runtime/helpers/egress_parse.h"
#include "tests/fuzz/fuzz_common.h" /* FUZZ_ASSERT */

/* A copy of data in a buffer of exactly size bytes: ASan sees a read past the end. */
static inline unsigned char *fuzz_copy(const unsigned char *data, size_t size)
{
  unsigned char *b = malloc(size);
  FUZZ_ASSERT(b != NULL || size == 0);
  memcpy(b, data, size);
  return b;
}

/* A name egress_normalise_host accepted: lower-case letters, digits, '-', '_' and single dots,
 * at most 253 bytes, no leading or trailing dot; and normalising it again changes nothing. */
static inline void fuzz_check_host(const char *host)
{
  size_t n = strlen(host);
  FUZZ_ASSERT(n > 0 && n <= EGRESS_HOST_MAX);
  FUZZ_ASSERT(strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n);
  FUZZ_ASSERT(host[0] != '.' && host[n - 1] != '.' && strstr(host, "..") == NULL);
  char again[EGRESS_HOST_MAX + 2];
  memcpy(again, host, n + 1);
  FUZZ_ASSERT(egress_normalise_host(again) && strcmp(again, host) == 0);
}

/* The CONNECT pipelock is asked for: one request line and one Host header naming host:port,
 * then the end of the head, and nothing else. */
static inline void fuzz_check_connect(const char *host, uint16_t port)
{
  size_t len = 0;
  char *head = egress_connect_head(host, port, &len);
  FUZZ_ASSERT(head != NULL && strlen(head) == len);
  char want[2 * EGRESS_HOST_MAX + 64];
  snprintf(want, sizeof(want), "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n", host, port, host,
           port);
  FUZZ_ASSERT(strcmp(head, want) == 0);
  free(head);
}

#endif

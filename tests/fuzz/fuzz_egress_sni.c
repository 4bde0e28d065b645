/* libFuzzer target: bottle-egress's ClientHello parser (egress_client_hello_sni) over bytes the
 * agent sends to a redirected port. A name it yields, once normalised, is the whole of what goes
 * into the CONNECT line; a shorter read of the same record only ever asks for more. */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_egress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  unsigned char *b = fuzz_copy(data, size);
  char name[EGRESS_HOST_MAX + 2];
  memset(name, 'x', sizeof(name));
  int r = egress_client_hello_sni(b, size, name, sizeof(name));
  FUZZ_ASSERT(r >= -2 && r <= 1);
  if (r == 1) {
    size_t n = strnlen(name, sizeof(name));
    FUZZ_ASSERT(n > 0 && n < sizeof(name));
    if (egress_normalise_host(name)) {
      fuzz_check_host(name);
      fuzz_check_connect(name, 443);
    }
  }
  if (r == -1)
    FUZZ_ASSERT(size < 5 || size < 5 + (((size_t)b[3] << 8) | b[4]));
  /* The record is complete at 5 + its length: any shorter read of it needs more. */
  if (r >= 0 && size > 5) {
    size_t rec = 5 + (((size_t)b[3] << 8) | b[4]);
    char shorter[EGRESS_HOST_MAX + 2];
    FUZZ_ASSERT(egress_client_hello_sni(b, rec - 1, shorter, sizeof(shorter)) == -1);
    /* bytes after the record (the next record) change nothing */
    char first[EGRESS_HOST_MAX + 2];
    int r2 = egress_client_hello_sni(b, rec, first, sizeof(first));
    FUZZ_ASSERT(r2 == r);
  }
  /* a smaller buffer never overflows: it refuses instead */
  char tiny[8];
  r = egress_client_hello_sni(b, size, tiny, sizeof(tiny));
  if (r == 1)
    FUZZ_ASSERT(strnlen(tiny, sizeof(tiny)) < sizeof(tiny));
  free(b);
  return 0;
}

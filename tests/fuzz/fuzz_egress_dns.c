/* libFuzzer target: bottle-egress's resolver (egress_dns_answer) over a DNS message the agent
 * sends to the sidecar's link address. The answer fits the buffer, echoes the question it
 * parsed, and holds an A record only for a name the allowlist matches. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_egress.h"

static char *const patterns[] = {"example.test", "*.wild.test", "198.51.100.7"};

static bool allowed(const char *name, void *ctx)
{
  *(int *)ctx += 1;
  fuzz_check_host(name);
  return egress_host_matches(patterns, sizeof(patterns) / sizeof(*patterns), name);
}

/* The question's name in wire form at q + 12, as text (labels joined by dots), or -1; *dotted
 * when a label holds a dot itself. */
static int question_name(const unsigned char *q, size_t len, char *name, size_t cap, size_t *end,
                         bool *dotted)
{
  size_t off = 12, nl = 0;
  *dotted = false;
  while (off < len && q[off] != 0) {
    size_t label = q[off];
    if (label > 63 || off + 1 + label >= len || nl + label + 2 > cap)
      return -1;
    if (nl > 0)
      name[nl++] = '.';
    *dotted = *dotted || memchr(q + off + 1, '.', label) != NULL;
    memcpy(name + nl, q + off + 1, label);
    nl += label;
    off += 1 + label;
  }
  if (off >= len)
    return -1;
  name[nl] = '\0';
  *end = off + 5;
  return *end <= len ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  unsigned char *q = fuzz_copy(data, size);
  const size_t cap = 512; /* the least the resolver is ever given */
  unsigned char *out = malloc(cap);
  FUZZ_ASSERT(out != NULL);
  struct in_addr addr = {.s_addr = htonl(0x0ae70001)}; /* 10.231.0.1 */
  int asked = 0;
  size_t len = egress_dns_answer(q, size, out, cap, &addr, allowed, &asked);
  FUZZ_ASSERT(len == 0 || (len >= 12 && len <= cap));
  if (len > 0) {
    FUZZ_ASSERT(size >= 12 && (q[2] & 0x80) == 0);
    FUZZ_ASSERT(out[0] == q[0] && out[1] == q[1] && (out[2] & 0x80) != 0);
    unsigned rcode = out[3] & 0x0f;
    unsigned ancount = ((unsigned)out[6] << 8) | out[7];
    FUZZ_ASSERT(rcode == 0 || rcode == 1 || rcode == 3 || rcode == 4);
    FUZZ_ASSERT(out[4] == 0 && out[8] == 0 && out[9] == 0 && out[10] == 0 && out[11] == 0);
    if (len == 12) {
      FUZZ_ASSERT(rcode == 1 || rcode == 4);
      FUZZ_ASSERT(ancount == 0 && out[5] == 0 && asked == 0);
    } else {
      /* the question, echoed as it came */
      char name[300];
      size_t qend = 0;
      bool dotted = false;
      FUZZ_ASSERT(out[5] == 1 && question_name(out, len, name, sizeof(name), &qend, &dotted) == 0);
      FUZZ_ASSERT(qend <= size && memcmp(out + 12, q + 12, qend - 12) == 0);
      FUZZ_ASSERT(len == qend || len == qend + 16);
      FUZZ_ASSERT(ancount == (len == qend + 16 ? 1u : 0u));
      FUZZ_ASSERT(rcode == 0 || (rcode == 3 && ancount == 0));
      if (ancount == 1) {
        /* only for an allowed name, asked as A or ANY in class IN, with the link address */
        FUZZ_ASSERT(asked == 1 && !dotted && egress_normalise_host(name));
        FUZZ_ASSERT(egress_host_matches(patterns, sizeof(patterns) / sizeof(*patterns), name));
        FUZZ_ASSERT(!egress_is_ipv4_literal(name));
        unsigned qtype = ((unsigned)out[qend - 4] << 8) | out[qend - 3];
        unsigned qclass = ((unsigned)out[qend - 2] << 8) | out[qend - 1];
        FUZZ_ASSERT(qclass == 1 && (qtype == 1 || qtype == 255));
        FUZZ_ASSERT(memcmp(out + len - 4, &addr, 4) == 0);
      }
    }
  }
  free(out);
  free(q);
  return 0;
}

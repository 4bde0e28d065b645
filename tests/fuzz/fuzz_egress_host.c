/* libFuzzer target: bottle-egress's HTTP request head parser (egress_http_head) over bytes the
 * agent sends to a redirected port 80 (or another redirected port). What it hands pipelock is
 * one absolute-form request for exactly the Host it parsed: one request line, header lines that
 * every HTTP/1 reader splits the same way (CRLF only, no folding, no control bytes), no Host or
 * connection header of the agent's, and one Connection: close that ends the head. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "tests/fuzz/fuzz_egress.h"

static bool is_tchar(unsigned char ch)
{
  return isalnum(ch) || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static void check_head(const char *sent, size_t len, const char *host, uint16_t port)
{
  FUZZ_ASSERT(len >= 4 && memchr(sent, '\0', len) == NULL);
  /* what the redirector sends is sent[0..len), with no NUL after it */
  char *head = strndup(sent, len);
  FUZZ_ASSERT(head != NULL);
  FUZZ_ASSERT(memcmp(head + len - 4, "\r\n\r\n", 4) == 0);
  FUZZ_ASSERT(strstr(head, "\r\n\r\n") == head + len - 4);
  for (size_t i = 0; i < len; i++) {
    if (head[i] == '\n')
      FUZZ_ASSERT(i > 0 && head[i - 1] == '\r');
    if (head[i] == '\r')
      FUZZ_ASSERT(i + 1 < len && head[i + 1] == '\n');
  }
  /* METHOD SP http://host[:port]/... SP HTTP/1.x CRLF */
  const char *eol = strstr(head, "\r\n");
  const char *sp1 = memchr(head, ' ', (size_t)(eol - head));
  FUZZ_ASSERT(sp1 != NULL && sp1 > head);
  for (const char *m = head; m < sp1; m++)
    FUZZ_ASSERT(*m >= 'A' && *m <= 'Z');
  const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
  FUZZ_ASSERT(sp2 != NULL && memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)) == NULL);
  FUZZ_ASSERT(eol - sp2 - 1 == 8 &&
              (strncmp(sp2 + 1, "HTTP/1.1", 8) == 0 || strncmp(sp2 + 1, "HTTP/1.0", 8) == 0));
  char authority[EGRESS_HOST_MAX + 32];
  int w = port == 80 ? snprintf(authority, sizeof(authority), "http://%s/", host)
                     : snprintf(authority, sizeof(authority), "http://%s:%u/", host, port);
  FUZZ_ASSERT(w > 0 && strncmp(sp1 + 1, authority, (size_t)w) == 0);
  for (const char *t = sp1 + 1; t < sp2; t++)
    FUZZ_ASSERT(*t > 0x20 && *t < 0x7f);
  /* the header lines: name ":" value, the agent's own then Connection: close */
  const char *last = NULL;
  for (const char *l = eol + 2; l < head + len - 2;) {
    const char *le = strstr(l, "\r\n");
    const char *colon = memchr(l, ':', (size_t)(le - l));
    FUZZ_ASSERT(colon != NULL && colon > l);
    for (const char *n = l; n < colon; n++)
      FUZZ_ASSERT(is_tchar((unsigned char)*n));
    for (const char *v = colon + 1; v < le; v++)
      FUZZ_ASSERT((unsigned char)*v >= 0x20 ? *v != 0x7f : *v == '\t');
    size_t nl = (size_t)(colon - l);
    FUZZ_ASSERT(!(nl == 4 && strncasecmp(l, "host", 4) == 0));
    FUZZ_ASSERT(!(nl == 10 && strncasecmp(l, "keep-alive", 10) == 0));
    FUZZ_ASSERT(!(nl == 16 && strncasecmp(l, "proxy-connection", 16) == 0));
    FUZZ_ASSERT(!(nl == 19 && strncasecmp(l, "proxy-authorization", 19) == 0));
    if (nl == 10 && strncasecmp(l, "connection", 10) == 0)
      FUZZ_ASSERT(last == NULL);
    if (nl == 10 && strncasecmp(l, "connection", 10) == 0)
      last = l;
    l = le + 2;
  }
  FUZZ_ASSERT(last != NULL && strcmp(last, "Connection: close\r\n\r\n") == 0);
  free(head);
}

static void one(const unsigned char *data, size_t size, uint16_t port)
{
  unsigned char *b = fuzz_copy(data, size);
  char host[EGRESS_HOST_MAX + 2];
  char *head = NULL;
  size_t head_len = 0, consumed = 0;
  const char *why = NULL;
  int r = egress_http_head((const char *)b, size, port, host, sizeof(host), &head, &head_len,
                           &consumed, &why);
  FUZZ_ASSERT(r >= -1 && r <= 1);
  if (r == -1)
    FUZZ_ASSERT(why != NULL && why[0] != '\0' && head == NULL);
  if (r == 0)
    FUZZ_ASSERT(size < EGRESS_IN_MAX && memmem(b, size, "\r\n\r\n", 4) == NULL && head == NULL);
  if (r == 1) {
    FUZZ_ASSERT(consumed >= 4 && consumed <= size);
    FUZZ_ASSERT(memcmp(b + consumed - 4, "\r\n\r\n", 4) == 0);
    FUZZ_ASSERT(memmem(b, consumed - 1, "\r\n\r\n", 4) == NULL);
    fuzz_check_host(host);
    check_head(head, head_len, host, port);
    free(head);
  }
  free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  one(data, size, 80);
  one(data, size, 8080);
  return 0;
}

/* The parsers of bottle-egress: see egress_parse.h. */
#include "runtime/helpers/egress_parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool egress_is_ipv4_literal(const char *h)
{
  struct in_addr a;
  return inet_pton(AF_INET, h, &a) == 1;
}

bool egress_normalise_host(char *name)
{
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.')
    name[--n] = '\0';
  if (n == 0 || n > EGRESS_HOST_MAX || name[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)name[i];
    if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
      return false;
    name[i] = (char)tolower(ch);
  }
  return strstr(name, "..") == NULL;
}

/* pipelock's MatchDomain: see egress_parse.h. */
bool egress_host_matches(char *const *allow, size_t n_allow, const char *h)
{
  size_t hl = strlen(h);
  for (size_t i = 0; i < n_allow; i++) {
    const char *p = allow[i];
    if (strcmp(p, h) == 0)
      return true;
    if (strncmp(p, "*.", 2) != 0 || egress_is_ipv4_literal(h))
      continue;
    const char *apex = p + 2;
    size_t al = strlen(apex);
    if (al == 0 || strchr(apex, '*') != NULL)
      continue;
    if (strcmp(h, apex) == 0 ||
        (hl > al + 1 && h[hl - al - 1] == '.' && strcmp(h + hl - al, apex) == 0))
      return true;
  }
  return false;
}

size_t egress_dns_answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap,
                         const struct in_addr *addr, egress_allowed_fn *name_allowed, void *ctx)
{
  if (qlen < 12 || cap < 512 || (q[2] & 0x80) != 0)
    return 0; /* too short, or a response: never answer those */
  unsigned opcode = (q[2] >> 3) & 0x0f;
  unsigned qdcount = ((unsigned)q[4] << 8) | q[5];
  memset(out, 0, 12);
  out[0] = q[0];
  out[1] = q[1];
  out[2] = (unsigned char)(0x80 | (opcode << 3) | 0x04 | (q[2] & 0x01)); /* QR, AA, RD as asked */
  if (opcode != 0) {
    out[3] = 4; /* NOTIMP */
    return 12;
  }
  /* The question: labels only (a pointer has nothing to point to yet). */
  size_t off = 12;
  char name[EGRESS_HOST_MAX + 2];
  size_t nl = 0;
  bool bad = qdcount != 1;
  while (!bad && off < qlen && q[off] != 0) {
    size_t label = q[off];
    if (label > 63 || off + 1 + label >= qlen || nl + label + 1 > EGRESS_HOST_MAX + 1) {
      bad = true;
      break;
    }
    if (nl > 0)
      name[nl++] = '.';
    memcpy(name + nl, q + off + 1, label);
    nl += label;
    off += 1 + label;
  }
  if (bad || off + 5 > qlen) {
    out[3] = 1; /* FORMERR */
    return 12;
  }
  name[nl] = '\0';
  size_t qend = off + 5;
  unsigned qtype = ((unsigned)q[off + 1] << 8) | q[off + 2];
  unsigned qclass = ((unsigned)q[off + 3] << 8) | q[off + 4];
  memcpy(out + 12, q + 12, qend - 12);
  out[5] = 1; /* QDCOUNT */
  size_t len = qend;
  /* memchr: a label may hold a NUL byte, which would cut the name short for the match. */
  bool allowed = memchr(name, '\0', nl) == NULL && egress_normalise_host(name) &&
                 !egress_is_ipv4_literal(name) && name_allowed(name, ctx);
  if (!allowed) {
    out[3] = 3; /* NXDOMAIN */
  } else if (qclass == 1 && (qtype == 1 || qtype == 255)) {
    static const unsigned char a_rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
    memcpy(out + len, a_rr, sizeof(a_rr));
    memcpy(out + len + sizeof(a_rr), addr, 4);
    len += sizeof(a_rr) + 4;
    out[7] = 1; /* ANCOUNT */
  }             /* AAAA and the rest: NOERROR, no answer */
  return len;
}

int egress_client_hello_sni(const unsigned char *b, size_t len, char *name, size_t namecap)
{
  if (len < 5)
    return -1;
  if (b[0] != 0x16)
    return -2;
  size_t rec = ((size_t)b[3] << 8) | b[4];
  if (5 + rec > EGRESS_IN_MAX)
    return -2;
  if (len < 5 + rec)
    return -1;
  const unsigned char *p = b + 5, *end = b + 5 + rec;
  if (end - p < 4 || p[0] != 1)
    return -2;
  size_t hs = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
  p += 4;
  if ((size_t)(end - p) < hs)
    return -2; /* a hello split over records: not what a client sends for a name it looks up */
  end = p + hs;
  if (end - p < 34)
    return -2;
  p += 34;
  if (end - p < 1 || end - p < 1 + p[0])
    return -2;
  p += 1 + p[0];
  if (end - p < 2)
    return -2;
  size_t cs = ((size_t)p[0] << 8) | p[1];
  if ((size_t)(end - p) < 2 + cs)
    return -2;
  p += 2 + cs;
  if (end - p < 1 || end - p < 1 + p[0])
    return -2;
  p += 1 + p[0];
  if (end - p < 2)
    return 0;
  size_t extlen = ((size_t)p[0] << 8) | p[1];
  p += 2;
  if ((size_t)(end - p) < extlen)
    return -2;
  const unsigned char *eend = p + extlen;
  while (eend - p >= 4) {
    unsigned type = ((unsigned)p[0] << 8) | p[1];
    size_t l = ((size_t)p[2] << 8) | p[3];
    p += 4;
    if ((size_t)(eend - p) < l)
      return -2;
    if (type == 0) {
      /* server_name_list: one host_name entry is all that a client sends */
      if (l < 5 || p[2] != 0)
        return -2;
      size_t nl = ((size_t)p[3] << 8) | p[4];
      if (nl + 5 > l || nl + 1 > namecap || nl == 0)
        return -2;
      memcpy(name, p + 5, nl);
      name[nl] = '\0';
      return memchr(name, '\0', nl) == NULL ? 1 : -2;
    }
    p += l;
  }
  return 0;
}

static bool header_is(const char *line, size_t len, const char *name)
{
  size_t n = strlen(name);
  return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

int egress_http_head(const char *buf, size_t len, uint16_t port, char *host, size_t hostcap,
                     char **head_out, size_t *head_out_len, size_t *consumed, const char **why)
{
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (end == NULL) {
    if (len >= EGRESS_IN_MAX) {
      *why = "request head too long";
      return -1;
    }
    return 0;
  }
  size_t head_len = (size_t)(end - buf) + 4;
  if (memchr(buf, '\0', head_len) != NULL) {
    *why = "NUL in the request head";
    return -1;
  }
  const char *eol = strstr(buf, "\r\n");
  /* METHOD SP origin-form SP HTTP/1.x: the Host header is the only name in it */
  const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
  if (sp1 == NULL || sp2 == NULL || sp1 == buf || sp1[1] != '/' || (size_t)(eol - sp2 - 1) != 8 ||
      strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
    *why = "not an origin-form HTTP/1 request";
    return -1;
  }
  if (sp1 - buf > 16) { /* the method goes into a fixed-size line below */
    *why = "not an HTTP method";
    return -1;
  }
  for (const char *m = buf; m < sp1; m++)
    if (!isupper((unsigned char)*m)) {
      *why = "not an HTTP method";
      return -1;
    }
  if (sp1 - buf == 7 && strncmp(buf, "CONNECT", 7) == 0) {
    *why = "CONNECT to the redirector";
    return -1;
  }
  /* Host: exactly one, name[:port]; the port the agent dialled is the one that counts. */
  host[0] = '\0';
  int hosts = 0;
  size_t cap = head_len + 2 * EGRESS_HOST_MAX + 64;
  char *out = malloc(cap);
  if (out == NULL) {
    *why = "out of memory";
    return -1;
  }
  size_t used = 0;
  for (const char *l = eol + 2; l < end + 2;) {
    const char *le = strstr(l, "\r\n");
    size_t ll = (size_t)(le - l);
    if (header_is(l, ll, "host")) {
      const char *v = l + 5;
      while (v < le && (*v == ' ' || *v == '\t'))
        v++;
      size_t vl = (size_t)(le - v);
      while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        vl--;
      const char *colon = memchr(v, ':', vl);
      size_t hl = colon ? (size_t)(colon - v) : vl;
      if (++hosts > 1 || hl == 0 || hl >= hostcap) {
        free(out);
        *why = hosts > 1 ? "more than one Host header" : "bad Host header";
        return -1;
      }
      memcpy(host, v, hl);
      host[hl] = '\0';
    } else if (!header_is(l, ll, "connection") && !header_is(l, ll, "proxy-connection") &&
               !header_is(l, ll, "keep-alive") && !header_is(l, ll, "proxy-authorization")) {
      memcpy(out + used, l, ll + 2);
      used += ll + 2;
    }
    l = le + 2;
  }
  if (hosts == 0 || !egress_normalise_host(host)) {
    free(out);
    *why = hosts == 0 ? "no Host header" : "bad Host header";
    return -1;
  }
  /* One request per connection: the next one would reach pipelock in origin form. */
  static const char close_hdr[] = "Connection: close\r\n\r\n";
  char line[EGRESS_HOST_MAX + 64];
  int w = port == 80 ? snprintf(line, sizeof(line), "%.*s http://%s", (int)(sp1 - buf), buf, host)
                     : snprintf(line, sizeof(line), "%.*s http://%s:%u", (int)(sp1 - buf), buf,
                                host, port);
  size_t target_len = (size_t)(eol - sp1 - 1);
  size_t total = (size_t)w + target_len + 2 + used + sizeof(close_hdr) - 1;
  char *head = malloc(total + 1);
  if (head == NULL) {
    free(out);
    *why = "out of memory";
    return -1;
  }
  memcpy(head, line, (size_t)w);
  memcpy(head + w, sp1 + 1, target_len + 2); /* "/path HTTP/1.x\r\n" */
  size_t hl = (size_t)w + target_len + 2;
  memcpy(head + hl, out, used);
  hl += used;
  memcpy(head + hl, close_hdr, sizeof(close_hdr) - 1);
  hl += sizeof(close_hdr) - 1;
  free(out);
  *head_out = head;
  *head_out_len = hl;
  *consumed = head_len;
  return 1;
}

char *egress_connect_head(const char *host, uint16_t port, size_t *len)
{
  char line[2 * EGRESS_HOST_MAX + 64];
  int w = snprintf(line, sizeof(line), "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n", host, port,
                   host, port);
  *len = (size_t)w;
  return strdup(line);
}

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
  if (n == 0 || n > EGRESS_HOST_MAX || name[0] == '.' || name[n - 1] == '.')
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
  bool bad = qdcount != 1, dotted = false;
  while (!bad && off < qlen && q[off] != 0) {
    size_t label = q[off];
    if (label > 63 || off + 1 + label >= qlen || nl + label + 1 > EGRESS_HOST_MAX + 1) {
      bad = true;
      break;
    }
    if (nl > 0)
      name[nl++] = '.';
    /* a dot inside a label: "a.b" as one label is not the name a.b */
    dotted = dotted || memchr(q + off + 1, '.', label) != NULL;
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
  bool allowed = !dotted && memchr(name, '\0', nl) == NULL && egress_normalise_host(name) &&
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
  if ((size_t)(end - p) != extlen)
    return -2; /* the extensions end the hello */
  const unsigned char *eend = p + extlen;
  int found = 0;
  while (p < eend) {
    if (eend - p < 4)
      return -2;
    unsigned type = ((unsigned)p[0] << 8) | p[1];
    size_t l = ((size_t)p[2] << 8) | p[3];
    p += 4;
    if ((size_t)(eend - p) < l)
      return -2;
    if (type == 0) {
      /* server_name: one list holding one host_name, as OpenSSL takes it and as clients send
       * it. A second name, or a second server_name extension, could name another host to the
       * server than the one pipelock is asked for. */
      if (found || l < 5 || (((size_t)p[0] << 8) | p[1]) != l - 2 || p[2] != 0)
        return -2;
      size_t nl = ((size_t)p[3] << 8) | p[4];
      if (nl + 5 != l || nl + 1 > namecap || nl == 0)
        return -2;
      memcpy(name, p + 5, nl);
      name[nl] = '\0';
      if (memchr(name, '\0', nl) != NULL)
        return -2;
      found = 1;
    }
    p += l;
  }
  return found;
}

static bool header_is(const char *line, size_t len, const char *name)
{
  size_t n = strlen(name);
  return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* RFC 9110's token characters: what a method or a header name is made of. */
static bool is_tchar(unsigned char ch)
{
  return isalnum(ch) || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Why head (len bytes, ending in CRLF CRLF) cannot go to pipelock as the agent wrote it, or NULL.
 * Every line must end in CRLF and hold no other control byte but HT: pipelock's reader (Go's
 * textproto) also ends a line at a bare LF, so that what is checked here as one header would be
 * two there (a second Host), or an LF LF would end the head early and start a second request
 * in origin form, behind this one's Connection: close. */
static const char *head_bytes_refused(const char *head, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)head[i];
    if (ch == '\r' && i + 1 < len && head[i + 1] == '\n')
      i++;
    else if (ch == '\0')
      return "NUL in the request head";
    else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
      return "a control byte in the request head (a bare CR or LF?)";
  }
  return NULL;
}

/* The Host header's value v (vl bytes, no CR or LF): name[:port], the name copied to host. */
static bool host_value(const char *v, size_t vl, char *host, size_t hostcap)
{
  while (vl > 0 && (*v == ' ' || *v == '\t'))
    v++, vl--;
  while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
    vl--;
  const char *colon = memchr(v, ':', vl);
  size_t hl = colon ? (size_t)(colon - v) : vl;
  /* the port the agent dialled is the one that counts; this one only has to be a port */
  size_t pl = colon ? vl - hl - 1 : 0;
  if (hl == 0 || hl >= hostcap || pl > 5)
    return false;
  for (size_t k = 0; k < pl; k++)
    if (!isdigit((unsigned char)colon[1 + k]))
      return false;
  memcpy(host, v, hl);
  host[hl] = '\0';
  return egress_normalise_host(host);
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
  if ((*why = head_bytes_refused(buf, head_len)) != NULL)
    return -1;
  const char *eol = memmem(buf, head_len, "\r\n", 2);
  /* METHOD SP origin-form SP HTTP/1.x: the Host header is the only name in it */
  const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
  if (sp1 == NULL || sp2 == NULL || sp1 == buf || sp1[1] != '/' || (size_t)(eol - sp2 - 1) != 8 ||
      (strncmp(sp2 + 1, "HTTP/1.1", 8) != 0 && strncmp(sp2 + 1, "HTTP/1.0", 8) != 0)) {
    *why = "not an origin-form HTTP/1 request";
    return -1;
  }
  for (const char *t = sp1 + 1; t < sp2; t++)
    if (*t == '\t' || (unsigned char)*t >= 0x7f) { /* Go's URL parser refuses them too */
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
  /* Host: exactly one, name[:port]; the other headers go on as they are, each a name and a
   * colon at the start of its line (no folding: a line that begins with a space continues the
   * line before it in some readers and not in others). */
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
    const char *le = memmem(l, (size_t)(end + 2 - l), "\r\n", 2);
    size_t ll = (size_t)(le - l);
    const char *colon = memchr(l, ':', ll);
    size_t nl = colon ? (size_t)(colon - l) : 0;
    for (size_t k = 0; k < nl; k++)
      if (!is_tchar((unsigned char)l[k]))
        nl = 0;
    if (nl == 0) {
      free(out);
      *why = "a header line that is not name: value";
      return -1;
    }
    if (header_is(l, ll, "host")) {
      if (++hosts > 1 || !host_value(l + 5, ll - 5, host, hostcap)) {
        free(out);
        *why = hosts > 1 ? "more than one Host header" : "bad Host header";
        return -1;
      }
    } else if (!header_is(l, ll, "connection") && !header_is(l, ll, "proxy-connection") &&
               !header_is(l, ll, "keep-alive") && !header_is(l, ll, "proxy-authorization")) {
      memcpy(out + used, l, ll + 2);
      used += ll + 2;
    }
    l = le + 2;
  }
  if (hosts == 0) {
    free(out);
    *why = "no Host header";
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
  head[hl] = '\0';
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

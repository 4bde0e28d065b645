/* Absolute-URI HTTP (pipelock.md §3.5): scan, fetch upstream with our own
 * HTTP/1.1 client (Connection: close), buffer, refuse compressed bodies, answer. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/pipelock-double/audit.h"
#include "tests/pipelock-double/cleanup.h"
#include "tests/pipelock-double/hostmatch.h"
#include "tests/pipelock-double/proxy.h"

#define MAX_RESPONSE (64u << 20)
#define FETCH_TIMEOUT_S 30

static const char *const hop_by_hop[] = {"connection",
                                         "proxy-connection",
                                         "keep-alive",
                                         "proxy-authorization",
                                         "proxy-authenticate",
                                         "te",
                                         "trailer",
                                         "transfer-encoding",
                                         "upgrade",
                                         "host",
                                         NULL};

static bool is_hop_by_hop(const char *name)
{
  for (const char *const *h = hop_by_hop; *h; h++)
    if (strcasecmp(name, *h) == 0)
      return true;
  return false;
}

struct buf {
  char *data;
  size_t len, cap;
};

static int buf_add(struct buf *b, const void *d, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 8192;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *nd = realloc(b->data, cap);
    if (!nd)
      return -1;
    b->data = nd;
    b->cap = cap;
  }
  memcpy(b->data + b->len, d, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

__attribute__((format(printf, 2, 3))) static int buf_printf(struct buf *b, const char *fmt, ...)
{
  char tmp[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(tmp))
    return -1;
  return buf_add(b, tmp, (size_t)n);
}

static void set_timeouts(int fd, int seconds)
{
  struct timeval tv = {.tv_sec = seconds};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Splits "http://authority/path?q#frag". authority and path are copied out. */
static int parse_absolute_uri(const char *uri, char *scheme, size_t slen, char *authority,
                              size_t alen, char *path, size_t plen)
{
  const char *sep = strstr(uri, "://");
  if (!sep || (size_t)(sep - uri) >= slen)
    return -1;
  for (size_t i = 0; i < (size_t)(sep - uri); i++)
    scheme[i] = (char)tolower((unsigned char)uri[i]);
  scheme[sep - uri] = '\0';
  const char *a = sep + 3;
  size_t al = strcspn(a, "/?#");
  if (al == 0 || al >= alen || memchr(a, '@', al))
    return -1;
  memcpy(authority, a, al);
  authority[al] = '\0';
  const char *rest = a + al;
  size_t rl = strcspn(rest, "#");
  if (rl + 2 > plen)
    return -1;
  if (rl == 0 || rest[0] != '/') {
    path[0] = '/';
    memcpy(path + 1, rest, rl);
    path[rl + 1] = '\0';
  } else {
    memcpy(path, rest, rl);
    path[rl] = '\0';
  }
  return 0;
}

static void log_fetch(const struct client *c, const char *method, const char *target,
                      const char *url, int status, const char *event, const char *detail)
{
  struct audit_line l;
  audit_begin(&l, status >= 400 && status != 404 ? "warn" : "info", event);
  audit_str(&l, "method", method);
  audit_str(&l, "target", target);
  audit_str(&l, "url", url);
  audit_num(&l, "status", status);
  if (detail)
    audit_str(&l, "reason", detail);
  audit_str(&l, "client_ip", c->ip);
  audit_emit(&l, strcmp(event, "allowed") == 0 ? "request allowed" : "forward proxy fetch failed");
}

static int send_request(int up, const struct http_request *req, const char *path,
                        const char *authority, int client_fd)
{
  struct buf out = {0};
  int rc = -1;
  if (buf_printf(&out, "%s %s HTTP/1.1\r\nHost: %s\r\n", req->method, path, authority) < 0)
    goto done;
  for (size_t i = 0; i < req->n_headers; i++) {
    const struct http_header *h = &req->headers[i];
    if (is_hop_by_hop(h->name) || strncasecmp(h->name, "proxy-", 6) == 0)
      continue;
    if (buf_printf(&out, "%s: %s\r\n", h->name, h->value) < 0)
      goto done;
  }
  if (buf_printf(&out, "Connection: close\r\n\r\n") < 0 || write_all(up, out.data, out.len) < 0)
    goto done;
  const char *cl = http_header(req, "Content-Length");
  long long want = cl ? atoll(cl) : 0;
  long long have = (long long)req->extra_len < want ? (long long)req->extra_len : want;
  if (have > 0 && write_all(up, req->extra, (size_t)have) < 0)
    goto done;
  char chunk[16384];
  while (have < want) {
    size_t n = (size_t)(want - have) < sizeof(chunk) ? (size_t)(want - have) : sizeof(chunk);
    ssize_t got = read(client_fd, chunk, n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0 || write_all(up, chunk, (size_t)got) < 0)
      goto done;
    have += got;
  }
  rc = 0;
done:
  free(out.data);
  return rc;
}

static int read_all(int fd, struct buf *b)
{
  char chunk[16384];
  for (;;) {
    ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return -1;
    if (got == 0)
      return 0;
    if (b->len + (size_t)got > MAX_RESPONSE || buf_add(b, chunk, (size_t)got) < 0)
      return -1;
  }
}

static int dechunk(const char *p, size_t len, struct buf *body)
{
  const char *end = p + len;
  for (;;) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
      return -1;
    char *stop;
    unsigned long size = strtoul(p, &stop, 16);
    if (stop == p)
      return -1;
    p = eol + 1;
    if (size == 0)
      return 0;
    if ((size_t)(end - p) < size || buf_add(body, p, size) < 0)
      return -1;
    p += size;
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
      p += 2;
    else if (end - p >= 1 && p[0] == '\n')
      p += 1;
  }
}

struct upstream_response {
  int status;
  char reason[64];
  struct buf headers; /* already filtered, "Name: value\r\n" lines */
  struct buf body;
  char content_encoding[64];
};

static int parse_response(const struct buf *raw, bool head_request, struct upstream_response *r)
{
  char *data = raw->data;
  if (!data)
    return -1;
  char *he = strstr(data, "\r\n\r\n");
  size_t skip = 4;
  if (!he) {
    he = strstr(data, "\n\n");
    skip = 2;
  }
  if (!he || strncmp(data, "HTTP/1.", 7) != 0)
    return -1;
  size_t head_len = (size_t)(he - data);
  const char *body = he + skip;
  size_t body_len = raw->len - (size_t)(body - data);
  char *head = strndup(data, head_len);
  if (!head)
    return -1;
  char *save = NULL;
  char *line = strtok_r(head, "\r\n", &save);
  if (!line || sscanf(line, "HTTP/1.%*d %3d %63[^\r\n]", &r->status, r->reason) < 1) {
    free(head);
    return -1;
  }
  bool chunked = false;
  long long content_length = -1;
  while ((line = strtok_r(NULL, "\r\n", &save))) {
    char *colon = strchr(line, ':');
    if (!colon)
      continue;
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
      value++;
    if (strcasecmp(line, "Transfer-Encoding") == 0 && strcasestr(value, "chunked"))
      chunked = true;
    if (strcasecmp(line, "Content-Length") == 0) {
      content_length = atoll(value);
      continue;
    }
    if (strcasecmp(line, "Content-Encoding") == 0)
      snprintf(r->content_encoding, sizeof(r->content_encoding), "%s", value);
    if (is_hop_by_hop(line))
      continue;
    buf_printf(&r->headers, "%s: %s\r\n", line, value);
  }
  free(head);
  if (head_request || r->status == 204 || r->status == 304 || r->status / 100 == 1)
    return 0;
  if (chunked)
    return dechunk(body, body_len, &r->body);
  if (content_length >= 0 && (size_t)content_length < body_len)
    body_len = (size_t)content_length;
  if (content_length > 0 && (size_t)content_length > body_len)
    return -1; /* truncated */
  return body_len ? buf_add(&r->body, body, body_len) : 0;
}

void handle_forward(struct client *c, struct http_request *req)
{
  const struct policy *p = c->proxy->policy;
  char scheme[16], authority[300], path[8192], rawhost[300], host[300], target[320];
  int port;
  if (parse_absolute_uri(req->target, scheme, sizeof(scheme), authority, sizeof(authority), path,
                         sizeof(path)) < 0 ||
      (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
      split_host_port(authority, strcmp(scheme, "https") == 0 ? 443 : 80, rawhost, sizeof(rawhost),
                      &port) < 0 ||
      !host_normalize(rawhost, host, sizeof(host))) {
    log_fetch(c, req->method, req->target, req->target, 400, "bad_request", "malformed URL");
    http_send_text(c->fd, 400, "invalid request URL", NULL);
    return;
  }
  format_target(host, port, target, sizeof(target));
  if (http_header(req, "Transfer-Encoding")) {
    http_send_text(c->fd, 411, "the pipelock double needs Content-Length request bodies", NULL);
    return;
  }

  struct verdict v;
  scan_target(c, req->method, target, req->target, host, &v);
  if (v.blocked && !(p->enforce == 0 && strcmp(v.scanner, "ssrf") == 0)) {
    char body[800], hint[200] = "";
    snprintf(body, sizeof(body), "blocked: %s", v.reason);
    if (p->explain_blocks == 1)
      snprintf(hint, sizeof(hint), "X-Pipelock-Hint: blocked by %s scanner\r\n", v.scanner);
    log_block(c, req->method, target, &v);
    http_send_text(c->fd, v.status, body, hint);
    return;
  }
  /* The double has no TLS client: an https:// absolute URI cannot be fetched. */
  autoclose int up = (v.blocked || strcmp(scheme, "http") != 0)
                         ? -1
                         : dial_addrs(v.addrs, v.n_addrs, port, FETCH_TIMEOUT_S * 1000);
  if (up < 0) {
    log_fetch(c, req->method, target, req->target, 502, "error",
              v.blocked ? v.reason : "dial failed");
    http_send_text(c->fd, 502, "forward proxy fetch failed", NULL);
    return;
  }
  set_timeouts(up, FETCH_TIMEOUT_S);
  struct buf raw = {0};
  struct upstream_response r;
  memset(&r, 0, sizeof(r));
  if (send_request(up, req, path, authority, c->fd) < 0 || read_all(up, &raw) < 0 ||
      parse_response(&raw, strcasecmp(req->method, "HEAD") == 0, &r) < 0) {
    log_fetch(c, req->method, target, req->target, 502, "error", "bad upstream response");
    http_send_text(c->fd, 502, "forward proxy fetch failed", NULL);
    goto out;
  }
  if (r.content_encoding[0] && strcasecmp(r.content_encoding, "identity") != 0) {
    struct verdict cv = {.blocked = true, .status = 403, .scanner = "response_scan"};
    snprintf(cv.reason, sizeof(cv.reason), "compressed response cannot be scanned");
    log_block(c, req->method, target, &cv);
    http_send_text(c->fd, 403, "blocked: compressed response cannot be scanned", NULL);
    goto out;
  }
  struct buf head = {0};
  buf_printf(&head, "HTTP/1.1 %d %s\r\n", r.status, r.reason[0] ? r.reason : "Status");
  if (r.headers.data)
    buf_add(&head, r.headers.data, r.headers.len);
  buf_printf(&head, "Content-Length: %zu\r\nConnection: close\r\n\r\n", r.body.len);
  if (write_all(c->fd, head.data, head.len) == 0 && r.body.len &&
      strcasecmp(req->method, "HEAD") != 0)
    write_all(c->fd, r.body.data, r.body.len);
  free(head.data);
  log_fetch(c, req->method, target, req->target, r.status, "allowed", NULL);
out:
  free(raw.data);
  free(r.headers.data);
  free(r.body.data);
}

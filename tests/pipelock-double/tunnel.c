/* CONNECT (pipelock.md §3.4): scan, dial through the SSRF check, answer
 * "200 Connection Established", verify SNI, relay with pipelock's timers. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/pipelock-double/audit.h"
#include "tests/pipelock-double/cleanup.h"
#include "tests/pipelock-double/hostmatch.h"
#include "tests/pipelock-double/proxy.h"

#define SNI_WAIT_MS 5000
#define DIAL_TIMEOUT_MS 10000

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Finds the server_name in a TLS ClientHello. Returns 1 with name set, 0 when the
 * hello has no SNI, -1 when more bytes are needed, -2 when it is not parseable. */
static int client_hello_sni(const unsigned char *b, size_t len, char *name, size_t namelen)
{
  if (len < 5)
    return -1;
  size_t rec = ((size_t)b[3] << 8) | b[4];
  if (len < 5 + rec)
    return -1;
  const unsigned char *p = b + 5, *end = b + 5 + rec;
  if (end - p < 4 || p[0] != 1)
    return -2;
  p += 4;
  if (end - p < 34)
    return -2;
  p += 34; /* version + random */
  if (end - p < 1 || end - p < 1 + p[0])
    return -2;
  p += 1 + p[0]; /* session id */
  if (end - p < 2)
    return -2;
  size_t cs = ((size_t)p[0] << 8) | p[1];
  if ((size_t)(end - p) < 2 + cs)
    return -2;
  p += 2 + cs;
  if (end - p < 1 || end - p < 1 + p[0])
    return -2;
  p += 1 + p[0]; /* compression */
  if (end - p < 2)
    return 0;
  size_t extlen = ((size_t)p[0] << 8) | p[1];
  p += 2;
  if ((size_t)(end - p) < extlen)
    return -2;
  const unsigned char *eend = p + extlen;
  while (eend - p >= 4) {
    unsigned type = (unsigned)(p[0] << 8) | p[1];
    size_t l = ((size_t)p[2] << 8) | p[3];
    p += 4;
    if ((size_t)(eend - p) < l)
      return -2;
    if (type == 0 && l >= 5 && p[2] == 0) {
      size_t nl = ((size_t)p[3] << 8) | p[4];
      if (nl + 5 > l || nl + 1 > namelen)
        return -2;
      memcpy(name, p + 5, nl);
      name[nl] = '\0';
      return 1;
    }
    p += l;
  }
  return 0;
}

static bool same_host(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la && a[la - 1] == '.')
    la--;
  if (lb && b[lb - 1] == '.')
    lb--;
  return la == lb && strncasecmp(a, b, la) == 0;
}

static void log_tunnel_event(const struct client *c, const char *level, const char *event,
                             const char *target, const char *detail, const char *message)
{
  struct audit_line l;
  audit_begin(&l, level, event);
  audit_str(&l, "method", "CONNECT");
  audit_str(&l, "target", target);
  if (detail)
    audit_str(&l, "reason", detail);
  audit_str(&l, "client_ip", c->ip);
  audit_emit(&l, message);
}

/* Reads the client's first bytes (up to a whole TLS record) within 5 s.
 * Returns how many bytes are in buf, 0 on silence/EOF. */
static size_t peek_first_bytes(int fd, unsigned char *buf, size_t cap, size_t have)
{
  long long deadline = now_ms() + SNI_WAIT_MS;
  while (have < cap) {
    if (have > 0 && buf[0] != 0x16)
      break;
    if (have >= 5 && have >= 5 + (((size_t)buf[3] << 8) | buf[4]))
      break;
    long long left = deadline - now_ms();
    if (left <= 0)
      break;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int pr = poll(&pfd, 1, (int)left);
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr <= 0)
      break;
    ssize_t got = read(fd, buf + have, cap - have);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    have += (size_t)got;
  }
  return have;
}

struct relay_stats {
  long long up, down;
};

/* relay.go:52-123: absolute deadline, idle timer per direction, half-close on EOF. */
static void relay(int client, int upstream, long max_seconds, long idle_seconds,
                  struct relay_stats *st)
{
  static __thread char buf[16384];
  long long start = now_ms(), deadline = start + max_seconds * 1000LL;
  long long last[2] = {start, start};
  bool open[2] = {true, true}; /* 0: client -> upstream, 1: upstream -> client */
  int src[2] = {client, upstream}, dst[2] = {upstream, client};
  long long *count[2] = {&st->up, &st->down};
  while (open[0] || open[1]) {
    long long now = now_ms();
    if (now >= deadline)
      return;
    long long wait = deadline - now;
    for (int d = 0; d < 2; d++) {
      if (!open[d])
        continue;
      long long idle_left = last[d] + idle_seconds * 1000LL - now;
      if (idle_left <= 0) {
        open[d] = false;
        shutdown(dst[d], SHUT_WR);
        continue;
      }
      if (idle_left < wait)
        wait = idle_left;
    }
    struct pollfd pfd[2];
    int nfds = 0, dir[2];
    for (int d = 0; d < 2; d++)
      if (open[d]) {
        pfd[nfds].fd = src[d];
        pfd[nfds].events = POLLIN;
        dir[nfds++] = d;
      }
    if (nfds == 0)
      return;
    int pr = poll(pfd, (nfds_t)nfds, (int)(wait > 60000 ? 60000 : wait));
    if (pr < 0 && errno != EINTR)
      return;
    for (int i = 0; i < nfds && pr > 0; i++) {
      if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      int d = dir[i];
      ssize_t got = read(src[d], buf, sizeof(buf));
      if (got < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (got <= 0) {
        open[d] = false;
        shutdown(dst[d], SHUT_WR);
        if (got < 0)
          return;
        continue;
      }
      if (write_all(dst[d], buf, (size_t)got) < 0)
        return;
      *count[d] += got;
      last[d] = now_ms();
    }
  }
}

void handle_connect(struct client *c, struct http_request *req)
{
  const struct policy *p = c->proxy->policy;
  char rawhost[300], host[300], target[320];
  int port;
  if (split_host_port(req->target, 443, rawhost, sizeof(rawhost), &port) < 0 ||
      !host_normalize(rawhost, host, sizeof(host))) {
    log_tunnel_event(c, "warn", "bad_request", req->target, "malformed CONNECT target",
                     "request rejected");
    http_send_text(c->fd, 400, "invalid CONNECT target", NULL);
    return;
  }
  format_target(host, port, target, sizeof(target));

  struct verdict v;
  char url[340];
  snprintf(url, sizeof(url), "https://%s/", rawhost);
  scan_target(c, "CONNECT", target, url, host, &v);
  if (v.blocked && !(p->enforce == 0 && strcmp(v.scanner, "ssrf") == 0)) {
    char body[800], hint[200] = "";
    snprintf(body, sizeof(body), "CONNECT blocked: %s", v.reason);
    if (p->explain_blocks == 1)
      snprintf(hint, sizeof(hint), "X-Pipelock-Hint: blocked by %s scanner\r\n", v.scanner);
    log_block(c, "CONNECT", target, &v);
    http_send_text(c->fd, v.status, body, hint);
    return;
  }
  if (__atomic_add_fetch(&c->proxy->active_tunnels, 1, __ATOMIC_SEQ_CST) > MAX_TUNNELS) {
    __atomic_sub_fetch(&c->proxy->active_tunnels, 1, __ATOMIC_SEQ_CST);
    http_send_text(c->fd, 503, "too many active tunnels", NULL);
    return;
  }
  autoclose int upstream = v.blocked ? -1 : dial_addrs(v.addrs, v.n_addrs, port, DIAL_TIMEOUT_MS);
  if (upstream < 0) {
    log_tunnel_event(c, "warn", "tunnel_dial_failed", target, v.blocked ? v.reason : NULL,
                     "tunnel dial failed");
    http_send_text(c->fd, 502, "tunnel dial failed", NULL);
    __atomic_sub_fetch(&c->proxy->active_tunnels, 1, __ATOMIC_SEQ_CST);
    return;
  }
  static const char established[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
  if (write_all(c->fd, established, sizeof(established) - 1) < 0)
    goto out;

  unsigned char first[16384];
  size_t have = req->extra_len < sizeof(first) ? req->extra_len : sizeof(first);
  memcpy(first, req->extra, have);
  if (p->sni_verification != 0) {
    have = peek_first_bytes(c->fd, first, sizeof(first), have);
    if (have == 0) {
      log_tunnel_event(c, "warn", "sni_timeout", target, "no client bytes within 5s",
                       "tunnel closed");
      goto out;
    }
    char sni[300];
    if (first[0] == 0x16 && client_hello_sni(first, have, sni, sizeof(sni)) == 1 &&
        !same_host(sni, host)) {
      char detail[700];
      snprintf(detail, sizeof(detail), "SNI %s does not match CONNECT host %s", sni, host);
      log_tunnel_event(c, "warn", "sni_mismatch", target, detail, "tunnel closed");
      goto out;
    }
  }
  if (have && write_all(upstream, first, have) < 0)
    goto out;
  log_tunnel_event(c, "info", "tunnel_open", target, NULL, "tunnel opened");
  struct relay_stats st = {.up = (long long)have, .down = 0};
  long long started = now_ms();
  relay(c->fd, upstream, p->max_tunnel_seconds, p->idle_timeout_seconds, &st);
  struct audit_line l;
  audit_begin(&l, "info", "tunnel_close");
  audit_str(&l, "method", "CONNECT");
  audit_str(&l, "target", target);
  audit_num(&l, "bytes_sent", st.up);
  audit_num(&l, "bytes_received", st.down);
  audit_num(&l, "duration_ms", now_ms() - started);
  audit_str(&l, "client_ip", c->ip);
  audit_emit(&l, "tunnel closed");
out:
  __atomic_sub_fetch(&c->proxy->active_tunnels, 1, __ATOMIC_SEQ_CST);
}

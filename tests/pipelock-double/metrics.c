#include "tests/pipelock-double/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/pipelock-double/audit.h"

struct metrics_server {
  struct proxy *px;
  int fd;
};

static void send_body(int fd, const char *type, const char *body, bool head_only)
{
  char head[256];
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   type, strlen(body));
  if (write_all(fd, head, (size_t)n) == 0 && !head_only)
    write_all(fd, body, strlen(body));
}

bool metrics_route(int fd, const struct proxy *px, const struct http_request *req)
{
  bool head = strcmp(req->method, "HEAD") == 0;
  if (!head && strcmp(req->method, "GET") != 0)
    return false;
  size_t plen = strcspn(req->target, "?");
  long long up = (long long)(time(NULL) - px->started);
  char body[512];
  if (plen == 8 && strncmp(req->target, "/metrics", 8) == 0) {
    snprintf(body, sizeof(body),
             "# HELP pipelock_uptime_seconds Seconds since start (pipelock double).\n"
             "# TYPE pipelock_uptime_seconds gauge\npipelock_uptime_seconds %lld\n"
             "# HELP pipelock_active_tunnels Open CONNECT tunnels.\n"
             "# TYPE pipelock_active_tunnels gauge\npipelock_active_tunnels %d\n",
             up, __atomic_load_n(&px->active_tunnels, __ATOMIC_RELAXED));
    send_body(fd, "text/plain; version=0.0.4; charset=utf-8", body, head);
    return true;
  }
  if (plen == 6 && strncmp(req->target, "/stats", 6) == 0) {
    snprintf(body, sizeof(body), "{\"uptime_seconds\":%lld,\"active_tunnels\":%d}\n", up,
             __atomic_load_n(&px->active_tunnels, __ATOMIC_RELAXED));
    send_body(fd, "application/json", body, head);
    return true;
  }
  return false;
}

/* One client at a time: only the sidecar's own loopback reaches this listener. */
static void *metrics_main(void *arg)
{
  struct metrics_server *m = arg;
  static struct http_request req;
  for (;;) {
    int cfd = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno != EINTR)
        usleep(10000);
      continue;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (http_read_request(cfd, &req) < 0)
      http_send_text(cfd, 400, "400 Bad Request", NULL);
    else if (!metrics_route(cfd, m->px, &req))
      http_send_text(cfd, 404, "404 page not found", NULL);
    close(cfd);
  }
  return NULL;
}

int metrics_listen_start(struct proxy *px, const char *addr)
{
  static struct metrics_server m;
  struct sockaddr_storage ss;
  socklen_t len;
  int one = 1;
  m.px = px;
  if (proxy_parse_listen(addr, &ss, &len) < 0) {
    fprintf(stderr, "Error: metrics bind %s: invalid address\n", addr);
    return -1;
  }
  m.fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m.fd < 0 || setsockopt(m.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(m.fd, (struct sockaddr *)&ss, len) < 0 || listen(m.fd, 64) < 0) {
    fprintf(stderr, "Error: metrics bind %s: %s\n", addr, strerror(errno));
    return -1;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, metrics_main, &m) != 0) {
    fprintf(stderr, "Error: cannot start the metrics thread\n");
    return -1;
  }
  pthread_detach(t);
  struct audit_line l;
  audit_begin(&l, "info", "metrics_listen");
  audit_str(&l, "address", addr);
  audit_emit(&l, "pipelock: metrics listening");
  return 0;
}

/* Listener, per-client threads and routing (pipelock.md §3.1-§3.3). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/pipelock-double/audit.h"
#include "tests/pipelock-double/metrics.h"
#include "tests/pipelock-double/proxy.h"

#define CLIENT_STACK (256 * 1024)
#define HEAD_TIMEOUT_S 30

static void send_health(struct client *c, bool head_only)
{
  const struct policy *p = c->proxy->policy;
  char body[1024];
  int n = snprintf(body, sizeof(body),
                   "{\"status\":\"healthy\",\"version\":\"2.3.0-double\",\"mode\":\"%s\","
                   "\"uptime_seconds\":%lld,\"dlp_patterns\":%zu,\"response_scan_enabled\":true,"
                   "\"git_protection_enabled\":false,\"rate_limit_enabled\":true,"
                   "\"forward_proxy_enabled\":%s,\"websocket_proxy_enabled\":false,"
                   "\"request_body_scan_enabled\":false,\"tls_interception_enabled\":false,"
                   "\"kill_switch_active\":false}\n",
                   p->mode, (long long)(time(NULL) - c->proxy->started),
                   policy_dlp_pattern_count(p), p->forward_enabled == 1 ? "true" : "false");
  char head[256];
  int hn = snprintf(head, sizeof(head),
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                    "Connection: close\r\n\r\n",
                    n);
  if (write_all(c->fd, head, (size_t)hn) == 0 && !head_only)
    write_all(c->fd, body, (size_t)n);
}

static bool is_absolute_uri(const char *target)
{
  return strncasecmp(target, "http://", 7) == 0 || strncasecmp(target, "https://", 8) == 0 ||
         (strstr(target, "://") && target[0] != '/');
}

static void route(struct client *c, struct http_request *req)
{
  bool forward = c->proxy->policy->forward_enabled == 1;
  if (strcmp(req->method, "CONNECT") == 0) {
    if (!forward) {
      http_send_text(c->fd, 405, "CONNECT not supported", NULL);
      return;
    }
    handle_connect(c, req);
    return;
  }
  if (is_absolute_uri(req->target)) {
    if (!forward) {
      http_send_text(c->fd, 405, "forward proxy not enabled", NULL);
      return;
    }
    handle_forward(c, req);
    return;
  }
  size_t plen = strcspn(req->target, "?");
  bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  if (get && plen == 7 && strncmp(req->target, "/health", 7) == 0 && !c->proxy->no_health) {
    send_health(c, strcmp(req->method, "HEAD") == 0);
    return;
  }
  const char *metrics_listen = c->proxy->policy->metrics_listen;
  if ((metrics_listen == NULL || metrics_listen[0] == '\0') && metrics_route(c->fd, c->proxy, req))
    return;
  http_send_text(c->fd, 404, "404 page not found", NULL);
}

static void *client_main(void *arg)
{
  struct client *c = arg;
  struct http_request *req = malloc(sizeof(*req));
  struct timeval tv = {.tv_sec = HEAD_TIMEOUT_S};
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  /* The timeout stays: it bounds a stalled request body too; tunnels poll. */
  if (req && http_read_request(c->fd, req) == 0) {
    route(c, req);
  } else if (req) {
    http_send_text(c->fd, 400, "400 Bad Request", NULL);
  }
  free(req);
  close(c->fd);
  free(c);
  return NULL;
}

int proxy_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
  char host[300];
  int port = -1;
  memset(ss, 0, sizeof(*ss));
  if (text[0] == ':') {
    snprintf(host, sizeof(host), "0.0.0.0");
    char *end;
    long p = strtol(text + 1, &end, 10);
    if (!text[1] || *end || p < 0 || p > 65535)
      return -1;
    port = (int)p;
  } else {
    /* split_host_port refuses port 0, which the tests use to get a free port. */
    const char *colon = strrchr(text, ':');
    if (!colon)
      return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
      return -1;
    port = (int)p;
    size_t hl = (size_t)(colon - text);
    if (hl >= sizeof(host))
      return -1;
    memcpy(host, text, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
      memmove(host, host + 1, hl - 2);
      host[hl - 2] = '\0';
    }
    if (strcmp(host, "localhost") == 0 || host[0] == '\0')
      snprintf(host, sizeof(host), "%s", host[0] ? "127.0.0.1" : "0.0.0.0");
  }
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((unsigned short)port);
    *len = sizeof(*sin);
    return 0;
  }
  if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((unsigned short)port);
    *len = sizeof(*sin6);
    return 0;
  }
  return -1;
}

static void sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t outlen, int *port)
{
  char ip[INET6_ADDRSTRLEN] = "?";
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
    *port = ntohs(sin->sin_port);
    snprintf(out, outlen, "%s", ip);
  } else {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
    *port = ntohs(sin6->sin6_port);
    snprintf(out, outlen, "%s", ip);
  }
}

int proxy_serve(struct proxy *px, const char *listen_addr)
{
  struct sockaddr_storage ss;
  socklen_t len;
  if (proxy_parse_listen(listen_addr, &ss, &len) < 0) {
    fprintf(stderr, "Error: invalid --listen address %s (use IP:PORT, e.g. 0.0.0.0:8888)\n",
            listen_addr);
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 512) < 0) {
    fprintf(stderr, "Error: listen tcp %s: %s\n", listen_addr, strerror(errno));
    return -1;
  }
  socklen_t bl = sizeof(ss);
  getsockname(fd, (struct sockaddr *)&ss, &bl);
  char ip[INET6_ADDRSTRLEN], bound[80];
  int port;
  sockaddr_text(&ss, ip, sizeof(ip), &port);
  format_target(ip, port, bound, sizeof(bound));

  const struct policy *p = px->policy;
  struct audit_line l;
  audit_begin(&l, "info", "startup");
  audit_str(&l, "listen", bound);
  audit_str(&l, "version", "2.3.0-double");
  audit_str(&l, "mode", p->mode);
  audit_bool(&l, "forward_proxy_enabled", p->forward_enabled == 1);
  audit_num(&l, "api_allowlist", (long long)p->api_allowlist.n);
  audit_emit(&l, "pipelock started");

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, CLIENT_STACK);
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t pl = sizeof(peer);
    int cfd = accept4(fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
        usleep(10000);
      continue;
    }
    struct client *c = calloc(1, sizeof(*c));
    pthread_t t;
    if (!c) {
      close(cfd);
      continue;
    }
    c->proxy = px;
    c->fd = cfd;
    int pport;
    sockaddr_text(&peer, c->ip, sizeof(c->ip), &pport);
    if (pthread_create(&t, &attr, client_main, c) != 0) {
      /* A thread per client counts against the sidecar's pids limit (pipelock's
       * goroutines do not): say so instead of dropping the connection silently. */
      http_send_text(cfd, 503, "too many connections (pipelock double: thread limit)", NULL);
      struct audit_line busy;
      audit_begin(&busy, "warn", "overloaded");
      audit_str(&busy, "client_ip", c->ip);
      audit_emit(&busy, "cannot start a client thread; raise the pids limit");
      close(cfd);
      free(c);
    }
  }
}

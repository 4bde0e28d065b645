/* The proxy: one listener (pipelock.md §3.1), request routing (§3.3), the scan
 * pipeline subset (§3.7), CONNECT (§3.4) and absolute-URI HTTP (§3.5). */
#ifndef PIPELOCK_DOUBLE_PROXY_H
#define PIPELOCK_DOUBLE_PROXY_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "tests/pipelock-double/http.h"
#include "tests/pipelock-double/netaddr.h"
#include "tests/pipelock-double/policy.h"

#define MAX_TUNNELS 1024
#define MAX_ADDRS 8

struct proxy {
  const struct policy *policy;
  time_t started;
  int active_tunnels; /* atomic */
  bool no_health;     /* --test-no-health: /health is 404, as in a proxy that is not pipelock */
};

struct client {
  struct proxy *proxy;
  int fd;
  char ip[64];
};

/* What the scanner decided about one target. */
struct verdict {
  bool blocked;
  int status;
  const char *scanner;
  char reason[700];
  struct ipaddr addrs[MAX_ADDRS];
  int n_addrs;
};

/* host must already be normalised (host_normalize). Never resolves a name that
 * fails the allowlist (§5.1). */
/* url is what pipelock scans: "https://<host>/" for CONNECT, the request URL
 * for absolute-URI requests. */
void scan_target(const struct client *c, const char *method, const char *target, const char *url,
                 const char *host, struct verdict *v);

/* Connects to the first reachable address; -1 on failure. */
int dial_addrs(const struct ipaddr *addrs, int n, int port, int timeout_ms);

void log_block(const struct client *c, const char *method, const char *target,
               const struct verdict *v);

void handle_connect(struct client *c, struct http_request *req);
void handle_forward(struct client *c, struct http_request *req);

/* Parses a listen address as proxy_serve takes it. Returns 0 or -1. */
int proxy_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* Binds the listen address ("IP:PORT", "[v6]:PORT", ":PORT", "localhost:PORT";
 * port 0 picks one) and serves forever. Returns only on setup failure. */
int proxy_serve(struct proxy *px, const char *listen_addr);

/* "host:port" for logs, bracketing IPv6. */
void format_target(const char *host, int port, char *out, size_t outlen);

#endif

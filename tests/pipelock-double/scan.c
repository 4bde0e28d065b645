#include "tests/pipelock-double/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/pipelock-double/audit.h"
#include "tests/pipelock-double/dlp.h"
#include "tests/pipelock-double/entropy.h"
#include "tests/pipelock-double/hostmatch.h"
#include "tests/pipelock-double/ratelimit.h"
#include "tests/pipelock-double/resolver.h"

__attribute__((format(printf, 3, 4))) static void block(struct verdict *v, const char *scanner,
                                                        const char *fmt, ...)
{
  v->blocked = true;
  v->status = 403;
  v->scanner = scanner;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
  va_end(ap);
}

/* scanner.go:2020-2070 (§5.1): labels except the last two, 8+ chars. */
static bool check_subdomain_entropy(const struct policy *p, const char *host, struct verdict *v)
{
  if (host_is_ip(host) || match_any(&p->entropy_exclusions, host))
    return true;
  const char *labels[128];
  size_t lens[128], n = 0;
  for (const char *s = host; *s && n < 128;) {
    const char *dot = strchr(s, '.');
    labels[n] = s;
    lens[n] = dot ? (size_t)(dot - s) : strlen(s);
    n++;
    if (!dot)
      break;
    s = dot + 1;
  }
  if (n < 3)
    return true;
  for (size_t i = 0; i + 2 < n; i++) {
    if (lens[i] < 8)
      continue;
    double h = shannon_entropy(labels[i], lens[i]);
    if (h > p->entropy_threshold) {
      char label[70], nums[64];
      snprintf(label, sizeof(label), "%.*s", (int)(lens[i] > 63 ? 63 : lens[i]), labels[i]);
      snprintf(nums, sizeof(nums), "%.2f > %.2f", h, p->entropy_threshold);
      block(v, "subdomain_entropy", "high entropy subdomain label \"%s\" (%s threshold)", label,
            nums);
      return false;
    }
  }
  return true;
}

static bool ip_allowlisted(const struct policy *p, const struct ipaddr *ip)
{
  for (size_t i = 0; i < p->ip_allowlist.n; i++)
    if (cidr_contains(&p->ip_allowlist.items[i], ip))
      return true;
  return false;
}

static bool ip_internal(const struct policy *p, const struct ipaddr *ip)
{
  if (!p->internal_present)
    return ip_in_default_internal(ip);
  if (ip_in_core_internal(ip))
    return true;
  for (size_t i = 0; i < p->internal.n; i++)
    if (cidr_contains(&p->internal.items[i], ip))
      return true;
  return false;
}

/* Step 13 of §3.7 plus the dialer's re-check (§3.4, §4.4). */
static void check_ssrf(const struct policy *p, const char *host, struct verdict *v)
{
  struct ipaddr literal;
  bool is_literal = ipaddr_parse(host, &literal);
  if (is_literal) {
    v->addrs[0] = literal;
    v->n_addrs = 1;
  } else {
    char err[400];
    int n = resolve_host(host, v->addrs, MAX_ADDRS, err, sizeof(err));
    if (n < 0) {
      block(v, "ssrf", "SSRF check failed: DNS resolution error for %s: %s", host, err);
      return;
    }
    v->n_addrs = n;
  }
  /* `internal: []` switches off the configurable check; literals still meet the core list. */
  bool check_all = !p->internal_present || p->internal.n > 0;
  bool trusted = !is_literal && match_any(&p->trusted_domains, host);
  for (int i = 0; i < v->n_addrs; i++) {
    const struct ipaddr *ip = &v->addrs[i];
    bool internal = check_all ? ip_internal(p, ip) : (is_literal && ip_in_core_internal(ip));
    if (internal && !trusted && !ip_allowlisted(p, ip)) {
      char text[64];
      ipaddr_format(ip, text, sizeof(text));
      block(v, "ssrf", "SSRF blocked: %s resolves to internal IP %s", host, text);
      return;
    }
  }
}

static void log_warn_only(const struct client *c, const char *method, const char *target,
                          const struct verdict *v)
{
  struct audit_line l;
  audit_begin(&l, "warn", "warn_only");
  audit_str(&l, "method", method);
  audit_str(&l, "target", target);
  audit_str(&l, "scanner", v->scanner);
  audit_str(&l, "reason", v->reason);
  audit_str(&l, "client_ip", c->ip);
  audit_emit(&l, "request would be blocked (enforce: false)");
}

void scan_target(const struct client *c, const char *method, const char *target, const char *url,
                 const char *host, struct verdict *v)
{
  const struct policy *p = c->proxy->policy;
  memset(v, 0, sizeof(*v));
  /* Step 6: allowlist before any DNS, strict mode only (§4, §5.1). */
  if (strcmp(p->mode, "strict") == 0 && !match_any(&p->api_allowlist, host)) {
    block(v, "allowlist", "domain not in allowlist: %s", host);
    if (p->enforce != 0)
      return;
    log_warn_only(c, method, target, v);
    v->blocked = false;
  }
  /* Step 10: known secrets in the URL or the dot-collapsed host, before DNS. */
  const char *leak = dlp_check(url, host);
  if (leak) {
    block(v, "dlp", "%s", leak);
    if (p->enforce != 0)
      return;
    log_warn_only(c, method, target, v);
    v->blocked = false;
  }
  /* Step 12. */
  if (!check_subdomain_entropy(p, host, v)) {
    if (p->enforce != 0)
      return;
    log_warn_only(c, method, target, v);
    v->blocked = false;
  }
  /* Step 13: even with enforce: false the SSRF-safe dialer refuses (§3.4). */
  check_ssrf(p, host, v);
  if (v->blocked)
    return;
  /* Step 14. */
  if (!ratelimit_allow(host, p->max_requests_per_minute)) {
    block(v, "ratelimit", "rate limit exceeded for %s", host);
    v->status = 429;
    if (p->enforce == 0) {
      log_warn_only(c, method, target, v);
      v->blocked = false;
    }
  }
}

int dial_addrs(const struct ipaddr *addrs, int n, int port, int timeout_ms)
{
  for (int i = 0; i < n; i++) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    if (addrs[i].family == AF_INET) {
      struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
      sin->sin_family = AF_INET;
      sin->sin_port = htons((unsigned short)port);
      memcpy(&sin->sin_addr, addrs[i].b, 4);
      len = sizeof(*sin);
    } else {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons((unsigned short)port);
      memcpy(&sin6->sin6_addr, addrs[i].b, 16);
      len = sizeof(*sin6);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
      continue;
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    if (rc < 0 && errno == EINPROGRESS) {
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      int soerr = ETIMEDOUT;
      socklen_t sl = sizeof(soerr);
      if (poll(&pfd, 1, timeout_ms) == 1)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
      rc = soerr ? -1 : 0;
    }
    if (rc == 0) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      return fd;
    }
    close(fd);
  }
  return -1;
}

void format_target(const char *host, int port, char *out, size_t outlen)
{
  if (strchr(host, ':'))
    snprintf(out, outlen, "[%s]:%d", host, port);
  else
    snprintf(out, outlen, "%s:%d", host, port);
}

void log_block(const struct client *c, const char *method, const char *target,
               const struct verdict *v)
{
  struct audit_line l;
  audit_begin(&l, "warn", "blocked");
  audit_str(&l, "method", method);
  audit_str(&l, "target", target);
  audit_str(&l, "scanner", v->scanner);
  audit_str(&l, "reason", v->reason);
  audit_num(&l, "status", v->status);
  audit_str(&l, "client_ip", c->ip);
  audit_emit(&l, "request blocked");
}

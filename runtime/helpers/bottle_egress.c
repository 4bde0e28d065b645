/* bottle-egress: the sidecar's entrypoint when network.proxyless is on (docs/configuration.md,
 * "Tools that ignore HTTP_PROXY"). It starts pipelock as its child and, in its own process,
 * serves two things to the agent on the sidecar's link address:
 *
 *   - a resolver (UDP and TCP): an allowed name gets an A record with the link address, every
 *     other name NXDOMAIN, AAAA and other types an empty answer. It never recurses: it has no
 *     upstream and sends nothing but its answers.
 *   - a redirector: a TCP connection the agent made to one of the redirected ports (the
 *     sidecar's filter DNATs them here; the original port comes from conntrack) is read until
 *     its TLS ClientHello (SNI) or HTTP request head (Host) is complete, then handed to
 *     pipelock as CONNECT host:port or as an absolute-form request. No name, a name the policy
 *     does not allow, or silence past the deadline closes the connection. Pipelock still judges
 *     every connection (allowlist, DLP, SSRF, audit).
 *
 *   bottle-egress -l IP -p PROXY_PORT -d DNS_PORT -r REDIRECT_PORT -c PIPELOCK_YAML -- PIPELOCK...
 *
 * The names come from the api_allowlist of the pipelock config bottle wrote (its own emitter's
 * layout: one double-quoted entry per "- " line), read again whenever the file changes, so that
 * a policy change pipelock reloads applies here too. Exits with pipelock's status once pipelock
 * exits; SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to it. Static: it runs
 * in the pipelock image, whatever that holds. Poll-based, one thread, at most MAX_CONNS connections
 * at a time. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/helpers/egress_parse.h"

#define MAX_CONNS 256
#define HELLO_MS 5000        /* the ClientHello or request head must be complete by then */
#define PROXY_REPLY_MS 15000 /* pipelock dials within 10 s (its own timeout) */
#define IN_MAX EGRESS_IN_MAX
#define RELAY_BUF 16384
#define HOST_MAX EGRESS_HOST_MAX

/* The listeners and the signal pipe come first in the poll set. */
enum { P_SIG, P_UDP, P_DNS_TCP, P_REDIRECT, P_FIXED };

enum kind { K_DNS, K_REDIRECT };
enum state { S_HELLO, S_CONNECTING, S_PROXY_REPLY, S_RELAY };

struct conn {
  enum kind kind;
  enum state state;
  int cfd, pfd; /* client, proxy (-1 until dialled) */
  long long deadline;
  uint16_t port; /* the port the agent dialled */
  bool tls;
  unsigned char in[IN_MAX + 1]; /* first bytes; then the client-to-proxy buffer */
  size_t in_len, in_off;
  char *head; /* what goes to the proxy first: CONNECT or the rewritten request head */
  size_t head_len, head_off;
  unsigned char out[RELAY_BUF]; /* proxy to client */
  size_t out_len, out_off;
  bool c_eof, p_eof, c_shut, p_shut;
};

static struct sockaddr_in link_addr, proxy_addr;
static char **allow;
static size_t n_allow;
static const char *config_path;
static struct stat config_seen;
static struct conn *conns[MAX_CONNS];
static int sig_pipe[2];
static pid_t child;

static void say(const char *level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One JSON line on stderr, as pipelock's own audit lines are (bottle logs shows them). The
 * message holds validated names and numbers only. */
static void say(const char *level, const char *event, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  fprintf(
      stderr,
      "{\"level\":\"%s\",\"component\":\"bottle-egress\",\"event\":\"%s\",\"message\":\"%s\"}\n",
      level, event, msg);
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void allow_free(void)
{
  for (size_t i = 0; i < n_allow; i++)
    free(allow[i]);
  free(allow);
  allow = NULL;
  n_allow = 0;
}

/* (Re)reads the allowlist when the config file is not the one read last. On a read error the
 * list is empty: every name is refused until the file is back. */
static void allow_refresh(void)
{
  struct stat st;
  if (stat(config_path, &st) == 0 && st.st_ino == config_seen.st_ino &&
      st.st_dev == config_seen.st_dev && st.st_size == config_seen.st_size &&
      st.st_mtim.tv_sec == config_seen.st_mtim.tv_sec &&
      st.st_mtim.tv_nsec == config_seen.st_mtim.tv_nsec)
    return;
  allow_free();
  FILE *f = fopen(config_path, "re");
  if (f == NULL) {
    memset(&config_seen, 0, sizeof(config_seen));
    say("warn", "proxyless_config", "cannot read the pipelock config: every name is refused");
    return;
  }
  struct stat fst;
  if (fstat(fileno(f), &fst) == 0)
    config_seen = fst;
  char line[512];
  bool in_list = false;
  size_t cap = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (!in_list) {
      in_list = strncmp(line, "api_allowlist:", 14) == 0;
      continue;
    }
    const char *p = line + strspn(line, " ");
    if (strncmp(p, "- \"", 3) != 0)
      break;
    p += 3;
    size_t n = strcspn(p, "\"");
    if (p[n] != '"' || n == 0 || n > HOST_MAX ||
        strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789.-_*") < n)
      continue;
    if (n_allow == cap) {
      cap = cap ? 2 * cap : 16;
      char **more = realloc(allow, cap * sizeof(*allow));
      if (more == NULL)
        break;
      allow = more;
    }
    allow[n_allow] = strndup(p, n);
    if (allow[n_allow] != NULL)
      n_allow++;
  }
  fclose(f);
  say("info", "proxyless_config", "%zu allowlist entries", n_allow);
}

/* pipelock's MatchDomain over the allowlist read last. */
static bool host_allowed(const char *h)
{
  allow_refresh();
  return egress_host_matches(allow, n_allow, h);
}

static bool name_allowed(const char *name, void *ctx)
{
  (void)ctx;
  return host_allowed(name);
}

/* ---- the resolver ---- */

static size_t dns_answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap)
{
  return egress_dns_answer(q, qlen, out, cap, &link_addr.sin_addr, name_allowed, NULL);
}

static void serve_udp(int fd)
{
  unsigned char q[1500], a[1600];
  for (int i = 0; i < 64; i++) {
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0)
      return;
    size_t len = dns_answer(q, (size_t)n, a, sizeof(a));
    if (len > 0)
      sendto(fd, a, len, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
  }
}

/* ---- connections ---- */

static void conn_close(size_t i)
{
  struct conn *c = conns[i];
  close(c->cfd);
  if (c->pfd >= 0)
    close(c->pfd);
  free(c->head);
  free(c);
  conns[i] = NULL;
}

static void refuse(size_t i, const char *why, const char *host)
{
  struct conn *c = conns[i];
  /* As pipelock's own refusals, so that bottle logs --blocked shows them: "BLOCKED REDIRECT
   * host:port (proxyless: why)". host is a validated name or NULL; why is one of ours. */
  fprintf(stderr,
          "{\"level\":\"warn\",\"component\":\"bottle-egress\",\"event\":\"blocked\","
          "\"method\":\"REDIRECT\",\"target\":\"%s:%u\",\"scanner\":\"proxyless\","
          "\"reason\":\"%s\",\"message\":\"redirected connection closed\"}\n",
          host ? host : "", c->port, why);
  conn_close(i);
}

static void accept_conn(int lfd, enum kind kind)
{
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    size_t slot = MAX_CONNS;
    for (size_t i = 0; i < MAX_CONNS && slot == MAX_CONNS; i++)
      if (conns[i] == NULL)
        slot = i;
    struct conn *c = slot < MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
    if (c == NULL) {
      say("warn", "proxyless_busy", "%d connections open: one more closed", MAX_CONNS);
      close(fd);
      continue;
    }
    c->kind = kind;
    c->cfd = fd;
    c->pfd = -1;
    c->deadline = now_ms() + HELLO_MS;
    if (kind == K_REDIRECT) {
      struct sockaddr_in orig;
      socklen_t ol = sizeof(orig);
      if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &orig, &ol) == 0)
        c->port = ntohs(orig.sin_port);
    }
    conns[slot] = c;
    if (kind == K_REDIRECT && c->port == 0)
      refuse(slot, "no original destination (not redirected)", NULL);
  }
}

/* The request head in c->in rewritten to absolute form for the proxy (c->head), the rest of
 * c->in (a body) kept to follow it: as egress_http_head. */
static int http_head(struct conn *c, char *host, size_t hostcap, const char **why)
{
  size_t consumed = 0;
  int r = egress_http_head((const char *)c->in, c->in_len, c->port, host, hostcap, &c->head,
                           &c->head_len, &consumed, why);
  if (r == 1) {
    memmove(c->in, c->in + consumed, c->in_len - consumed);
    c->in_len -= consumed;
  }
  return r;
}

static int dial_proxy(struct conn *c)
{
  c->pfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->pfd < 0)
    return -1;
  if (connect(c->pfd, (struct sockaddr *)&proxy_addr, sizeof(proxy_addr)) < 0 &&
      errno != EINPROGRESS)
    return -1;
  c->state = S_CONNECTING;
  c->deadline = now_ms() + PROXY_REPLY_MS;
  return 0;
}

/* The client's first bytes: once they name a host the policy allows, dial the proxy. */
static void on_hello(size_t i)
{
  struct conn *c = conns[i];
  ssize_t n = read(c->cfd, c->in + c->in_len, IN_MAX - c->in_len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    refuse(i, n == 0 ? "closed before naming a host" : "read error", NULL);
    return;
  }
  c->in_len += (size_t)n;
  char host[HOST_MAX + 2];
  const char *why = NULL;
  c->tls = c->in[0] == 0x16;
  if (c->tls) {
    int r = egress_client_hello_sni(c->in, c->in_len, host, sizeof(host));
    if (r == -1 && c->in_len < IN_MAX)
      return;
    if (r == 0)
      why = "ClientHello without SNI";
    else if (r != 1)
      why = "not a TLS ClientHello";
    else if (!egress_normalise_host(host))
      why = "bad SNI";
  } else if (http_head(c, host, sizeof(host), &why) == 0) {
    return;
  }
  if (why != NULL) {
    refuse(i, why, NULL);
    return;
  }
  if (!host_allowed(host)) {
    refuse(i, "host not in the allowlist", host);
    return;
  }
  if (c->tls) {
    c->head = egress_connect_head(host, c->port, &c->head_len);
    if (c->head == NULL) {
      refuse(i, "out of memory", NULL);
      return;
    }
  }
  if (dial_proxy(c) < 0)
    refuse(i, "cannot reach the proxy", NULL);
}

/* pipelock's answer to CONNECT, read into out: 200 starts the relay, anything else closes. */
static void on_proxy_reply(size_t i)
{
  struct conn *c = conns[i];
  ssize_t n = read(c->pfd, c->out + c->out_len, RELAY_BUF - c->out_len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    refuse(i, "the proxy closed before answering CONNECT", NULL);
    return;
  }
  c->out_len += (size_t)n;
  const unsigned char *e = memmem(c->out, c->out_len, "\r\n\r\n", 4);
  if (e == NULL) {
    if (c->out_len == RELAY_BUF)
      refuse(i, "the proxy's answer to CONNECT is too long", NULL);
    return;
  }
  if (c->out_len < 12 ||
      (memcmp(c->out, "HTTP/1.1 200", 12) && memcmp(c->out, "HTTP/1.0 200", 12))) {
    char status[4] = "???";
    if (c->out_len >= 12)
      for (int k = 0; k < 3; k++)
        status[k] = isdigit(c->out[9 + k]) ? (char)c->out[9 + k] : '?';
    refuse(i, "the proxy refused the CONNECT with status", status);
    return;
  }
  size_t head = (size_t)(e - c->out) + 4;
  memmove(c->out, c->out + head, c->out_len - head);
  c->out_len -= head;
  c->state = S_RELAY;
}

/* Moves bytes both ways; half-closes a side once its peer ended and its buffer drained. */
static void relay(size_t i, short crev, short prev)
{
  struct conn *c = conns[i];
  if ((crev | prev) & POLLERR) {
    if (c->state == S_RELAY)
      conn_close(i);
    else
      refuse(i, "cannot reach the proxy", NULL);
    return;
  }
  if ((prev & (POLLOUT | POLLHUP)) && c->head_off < c->head_len) {
    ssize_t w = send(c->pfd, c->head + c->head_off, c->head_len - c->head_off, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
      refuse(i, "the proxy went away", NULL);
      return;
    }
    if (w > 0)
      c->head_off += (size_t)w;
    if (c->head_off == c->head_len && c->tls && c->state == S_CONNECTING) {
      c->state = S_PROXY_REPLY;
      return;
    }
    if (c->head_off == c->head_len && c->state == S_CONNECTING)
      c->state = S_RELAY;
    return;
  }
  if (c->state == S_PROXY_REPLY) {
    if (prev & (POLLIN | POLLHUP | POLLERR))
      on_proxy_reply(i);
    return;
  }
  if (c->state != S_RELAY)
    return;
  /* client -> proxy */
  if (c->in_off < c->in_len && (prev & (POLLOUT | POLLERR | POLLHUP))) {
    ssize_t w = send(c->pfd, c->in + c->in_off, c->in_len - c->in_off, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
      conn_close(i);
      return;
    }
    if (w > 0 && (c->in_off += (size_t)w) == c->in_len)
      c->in_off = c->in_len = 0;
  } else if (c->in_len == 0 && !c->c_eof && (crev & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = read(c->cfd, c->in, IN_MAX);
    if (n > 0)
      c->in_len = (size_t)n;
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
      c->c_eof = true;
  }
  /* proxy -> client */
  if (c->out_off < c->out_len && (crev & (POLLOUT | POLLERR | POLLHUP))) {
    ssize_t w = send(c->cfd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
      conn_close(i);
      return;
    }
    if (w > 0 && (c->out_off += (size_t)w) == c->out_len)
      c->out_off = c->out_len = 0;
  } else if (c->out_len == 0 && !c->p_eof && (prev & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = read(c->pfd, c->out, RELAY_BUF);
    if (n > 0)
      c->out_len = (size_t)n;
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
      c->p_eof = true;
  }
  if (c->c_eof && c->in_len == 0 && !c->p_shut) {
    shutdown(c->pfd, SHUT_WR);
    c->p_shut = true;
  }
  if (c->p_eof && c->out_len == 0 && !c->c_shut) {
    shutdown(c->cfd, SHUT_WR);
    c->c_shut = true;
  }
  if (c->p_shut && c->c_shut)
    conn_close(i);
}

/* One DNS query over TCP (a 2-byte length, then the message), answered, then closed. */
static void on_dns_tcp(size_t i)
{
  struct conn *c = conns[i];
  ssize_t n = read(c->cfd, c->in + c->in_len, 2 + 512 - c->in_len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    conn_close(i);
    return;
  }
  c->in_len += (size_t)n;
  if (c->in_len < 2)
    return;
  size_t want = ((size_t)c->in[0] << 8) | c->in[1];
  if (want > 512) {
    conn_close(i);
    return;
  }
  if (c->in_len < 2 + want)
    return;
  size_t len = dns_answer(c->in + 2, want, c->out + 2, RELAY_BUF - 2);
  if (len > 0) {
    c->out[0] = (unsigned char)(len >> 8);
    c->out[1] = (unsigned char)len;
    /* at most ~530 bytes into an empty socket buffer: one send */
    send(c->cfd, c->out, len + 2, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  conn_close(i);
}

static void on_signal(int sig)
{
  unsigned char s = (unsigned char)sig;
  int saved = errno;
  if (write(sig_pipe[1], &s, 1) < 0) {
    /* the pipe is full: the signals already in it do the work */
  }
  errno = saved;
}

static int listener(int type, uint16_t port)
{
  int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = link_addr;
  sa.sin_port = htons(port);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
      (type == SOCK_STREAM && listen(fd, 128) < 0)) {
    fprintf(stderr, "bottle-egress: listen on %s:%u: %s\n", inet_ntoa(link_addr.sin_addr), port,
            strerror(errno));
    exit(1);
  }
  return fd;
}

static unsigned port_arg(const char *s, const char *what)
{
  char *end = NULL;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v == 0 || v > 65535) {
    fprintf(stderr, "bottle-egress: %s: %s is not a port\n", what, s);
    exit(2);
  }
  return (unsigned)v;
}

static void usage(void)
{
  fputs("usage: bottle-egress -l IP -p PROXY_PORT -d DNS_PORT -r REDIRECT_PORT -c PIPELOCK_YAML "
        "-- PIPELOCK [ARGS...]\n",
        stderr);
  exit(2);
}

/* Reaps every child (as pid 1 it inherits orphans); exits with pipelock's status. */
static void reap(void)
{
  int status;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
    if (p != child)
      continue;
    if (WIFSIGNALED(status)) {
      say("warn", "proxyless_stopped", "pipelock was killed by signal %d", WTERMSIG(status));
      exit(128 + WTERMSIG(status));
    }
    exit(WEXITSTATUS(status));
  }
}

int main(int argc, char **argv)
{
  const char *ip = NULL;
  unsigned proxy_port = 0, dns_port = 0, redirect_port = 0;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (i + 1 >= argc)
      usage();
    const char *opt = argv[i], *val = argv[++i];
    if (strcmp(opt, "-l") == 0)
      ip = val;
    else if (strcmp(opt, "-p") == 0)
      proxy_port = port_arg(val, "-p");
    else if (strcmp(opt, "-d") == 0)
      dns_port = port_arg(val, "-d");
    else if (strcmp(opt, "-r") == 0)
      redirect_port = port_arg(val, "-r");
    else if (strcmp(opt, "-c") == 0)
      config_path = val;
    else
      usage();
  }
  if (config_path == NULL || ip == NULL || !proxy_port || !dns_port || !redirect_port ||
      i + 1 >= argc)
    usage();
  char **pipelock = argv + i + 1;
  link_addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, ip, &link_addr.sin_addr) != 1) {
    fprintf(stderr, "bottle-egress: -l %s is not an IPv4 address\n", ip);
    return 2;
  }
  proxy_addr = link_addr;
  proxy_addr.sin_port = htons((uint16_t)proxy_port);

  /* Bound before pipelock starts: a port in use fails the sidecar before its proxy answers. */
  struct pollfd fixed[P_FIXED];
  if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
    return 1;
  fixed[P_SIG].fd = sig_pipe[0];
  fixed[P_UDP].fd = listener(SOCK_DGRAM, (uint16_t)dns_port);
  fixed[P_DNS_TCP].fd = listener(SOCK_STREAM, (uint16_t)dns_port);
  fixed[P_REDIRECT].fd = listener(SOCK_STREAM, (uint16_t)redirect_port);

  static const int passed[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD};
  struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  for (size_t k = 0; k < sizeof(passed) / sizeof(*passed); k++)
    sigaction(passed[k], &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  child = fork();
  if (child < 0) {
    perror("bottle-egress: fork");
    return 1;
  }
  if (child == 0) {
    signal(SIGPIPE, SIG_DFL);
    execv(pipelock[0], pipelock);
    fprintf(stderr, "bottle-egress: exec %s: %s\n", pipelock[0], strerror(errno));
    _exit(127);
  }
  say("info", "proxyless_listen", "resolver on %s:%u, redirector on %s:%u", ip, dns_port, ip,
      redirect_port);
  allow_refresh();

  static struct pollfd pfds[P_FIXED + 2 * MAX_CONNS];
  static int cpos[MAX_CONNS], ppos[MAX_CONNS]; /* each connection's entries in pfds */
  for (;;) {
    nfds_t np = P_FIXED;
    for (int k = 0; k < P_FIXED; k++)
      pfds[k] = (struct pollfd){fixed[k].fd, POLLIN, 0};
    long long now = now_ms(), next = now + 60000;
    for (size_t k = 0; k < MAX_CONNS; k++) {
      struct conn *c = conns[k];
      cpos[k] = ppos[k] = -1;
      if (c == NULL)
        continue;
      if (c->state != S_RELAY && c->deadline <= now) {
        if (c->kind == K_DNS)
          conn_close(k);
        else
          refuse(k,
                 c->state == S_HELLO ? "no ClientHello or request head in time"
                                     : "no answer from the proxy in time",
                 NULL);
        continue;
      }
      if (c->state != S_RELAY && c->deadline < next)
        next = c->deadline;
      short cev = 0, pev = 0;
      if (c->state == S_HELLO)
        cev = POLLIN;
      else if (c->state == S_CONNECTING)
        pev = POLLOUT;
      else if (c->state == S_PROXY_REPLY)
        pev = POLLIN;
      else {
        pev = c->in_len > 0 ? POLLOUT : 0;
        if (c->in_len == 0 && !c->c_eof)
          cev |= POLLIN;
        if (c->out_len > 0)
          cev |= POLLOUT;
        else if (!c->p_eof)
          pev |= POLLIN;
      }
      /* A side with nothing to wait for is left out: its POLLHUP would wake every round. */
      if (cev != 0) {
        cpos[k] = (int)np;
        pfds[np++] = (struct pollfd){c->cfd, cev, 0};
      }
      if (pev != 0) {
        ppos[k] = (int)np;
        pfds[np++] = (struct pollfd){c->pfd, pev, 0};
      }
    }
    int r = poll(pfds, np, (int)(next - now));
    if (r < 0 && errno != EINTR)
      return 1;
    if (r <= 0)
      continue;
    if (pfds[P_SIG].revents & POLLIN) {
      unsigned char s;
      while (read(sig_pipe[0], &s, 1) == 1) {
        if (s == SIGCHLD)
          reap();
        else
          kill(child, s);
      }
    }
    if (pfds[P_UDP].revents & POLLIN)
      serve_udp(fixed[P_UDP].fd);
    /* Before the accepts: a slot freed here and taken by a new connection must not get the
     * events of the old one. */
    for (size_t k = 0; k < MAX_CONNS; k++) {
      struct conn *c = conns[k];
      short crev = cpos[k] >= 0 ? pfds[cpos[k]].revents : 0;
      short prev = ppos[k] >= 0 ? pfds[ppos[k]].revents : 0;
      if (c == NULL || (crev == 0 && prev == 0))
        continue;
      if (c->kind == K_DNS)
        on_dns_tcp(k);
      else if (c->state == S_HELLO)
        on_hello(k);
      else
        relay(k, crev, prev);
    }
    if (pfds[P_DNS_TCP].revents & POLLIN)
      accept_conn(fixed[P_DNS_TCP].fd, K_DNS);
    if (pfds[P_REDIRECT].revents & POLLIN)
      accept_conn(fixed[P_REDIRECT].fd, K_REDIRECT);
  }
}

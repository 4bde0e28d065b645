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

#define MAX_CONNS 256
#define HELLO_MS 5000        /* the ClientHello or request head must be complete by then */
#define PROXY_REPLY_MS 15000 /* pipelock dials within 10 s (its own timeout) */
#define IN_MAX 16384         /* a ClientHello record or a request head, at most */
#define RELAY_BUF 16384
#define HOST_MAX 253

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

static bool is_ipv4_literal(const char *h)
{
  struct in_addr a;
  return inet_pton(AF_INET, h, &a) == 1;
}

/* Lower-cases name in place and drops one trailing dot; false unless it is a host name made of
 * letters, digits, '-', '_' and '.', which is all that ever goes into a CONNECT line. */
static bool normalise_host(char *name)
{
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.')
    name[--n] = '\0';
  if (n == 0 || n > HOST_MAX || name[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)name[i];
    if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
      return false;
    name[i] = (char)tolower(ch);
  }
  return strstr(name, "..") == NULL;
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

/* pipelock's MatchDomain (pipelock.md §4): "*.x" matches x and any name under it, other
 * patterns only themselves; wildcards never apply to IP literals. */
static bool host_allowed(const char *h)
{
  allow_refresh();
  size_t hl = strlen(h);
  for (size_t i = 0; i < n_allow; i++) {
    const char *p = allow[i];
    if (strcmp(p, h) == 0)
      return true;
    if (strncmp(p, "*.", 2) != 0 || is_ipv4_literal(h))
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

/* ---- the resolver ---- */

/* The answer to one DNS message q (UDP payload or TCP frame body) in out; 0 drops it. */
static size_t dns_answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap)
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
  char name[HOST_MAX + 2];
  size_t nl = 0;
  bool bad = qdcount != 1;
  while (!bad && off < qlen && q[off] != 0) {
    size_t label = q[off];
    if (label > 63 || off + 1 + label >= qlen || nl + label + 1 > HOST_MAX + 1) {
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
  bool allowed = memchr(name, '\0', nl) == NULL && normalise_host(name) && !is_ipv4_literal(name) &&
                 host_allowed(name);
  if (!allowed) {
    out[3] = 3; /* NXDOMAIN */
  } else if (qclass == 1 && (qtype == 1 || qtype == 255)) {
    static const unsigned char a_rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
    memcpy(out + len, a_rr, sizeof(a_rr));
    memcpy(out + len + sizeof(a_rr), &link_addr.sin_addr, 4);
    len += sizeof(a_rr) + 4;
    out[7] = 1; /* ANCOUNT */
  }             /* AAAA and the rest: NOERROR, no answer */
  return len;
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

/* The SNI of a complete ClientHello record: 1 found, 0 none, -1 need more, -2 not a hello. */
static int client_hello_sni(const unsigned char *b, size_t len, char *name, size_t namecap)
{
  if (len < 5)
    return -1;
  if (b[0] != 0x16)
    return -2;
  size_t rec = ((size_t)b[3] << 8) | b[4];
  if (5 + rec > IN_MAX)
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

/* The request head in c->in rewritten to absolute form for the proxy: 1 done (c->head set,
 * host filled), 0 need more, -1 refused (why set). */
static int http_head(struct conn *c, char *host, size_t hostcap, const char **why)
{
  const char *buf = (const char *)c->in;
  const char *end = memmem(buf, c->in_len, "\r\n\r\n", 4);
  if (end == NULL) {
    if (c->in_len >= IN_MAX) {
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
  size_t cap = head_len + 2 * HOST_MAX + 64;
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
  if (hosts == 0 || !normalise_host(host)) {
    free(out);
    *why = hosts == 0 ? "no Host header" : "bad Host header";
    return -1;
  }
  /* One request per connection: the next one would reach pipelock in origin form. */
  static const char close_hdr[] = "Connection: close\r\n\r\n";
  char line[HOST_MAX + 64];
  int w =
      c->port == 80
          ? snprintf(line, sizeof(line), "%.*s http://%s", (int)(sp1 - buf), buf, host)
          : snprintf(line, sizeof(line), "%.*s http://%s:%u", (int)(sp1 - buf), buf, host, c->port);
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
  c->head = head;
  c->head_len = hl;
  /* what followed the head (a body) goes after it */
  memmove(c->in, c->in + head_len, c->in_len - head_len);
  c->in_len -= head_len;
  return 1;
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
  c->in[c->in_len] = 0; /* http_head's string calls stop here */
  char host[HOST_MAX + 2];
  const char *why = NULL;
  c->tls = c->in[0] == 0x16;
  if (c->tls) {
    int r = client_hello_sni(c->in, c->in_len, host, sizeof(host));
    if (r == -1 && c->in_len < IN_MAX)
      return;
    if (r == 0)
      why = "ClientHello without SNI";
    else if (r != 1)
      why = "not a TLS ClientHello";
    else if (!normalise_host(host))
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
    char line[2 * HOST_MAX + 64];
    int w = snprintf(line, sizeof(line), "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n", host,
                     c->port, host, c->port);
    c->head = strdup(line);
    c->head_len = (size_t)w;
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

/* bottle-connect: an ssh ProxyCommand for a bottled agent, bind-mounted into it by the runtime
 * so that SSH works whatever the agent image contains (docs/configuration.md, "SSH from a
 * bottled agent").
 *
 *   bottle-connect [-p PROXY] HOST PORT
 *
 * Opens a TCP connection to the pipelock proxy (PROXY as ip:port; else $BOTTLE_PROXY; else
 * $HTTPS_PROXY, $https_proxy, $HTTP_PROXY, $http_proxy as http://ip:port), asks for
 * CONNECT HOST:PORT, and on a 200 relays stdin to the tunnel and the tunnel to stdout. When
 * stdin ends, the tunnel's write side is shut; when the tunnel ends, so does bottle-connect.
 * Any other answer is printed to stderr (status line and body: "CONNECT blocked: domain not in
 * allowlist: ...") and the exit status is 1.
 *
 * Static and dependency-free on purpose: it runs inside images that may have no libc at all.
 * Only numeric proxy addresses are accepted (no resolver in a static binary; the runtime always
 * passes the sidecar's address). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 8192
#define BODY_MAX 4096

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("bottle-connect: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static int write_full(int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static ssize_t read_some(int fd, char *buf, size_t cap)
{
  ssize_t n;
  do
    n = read(fd, buf, cap);
  while (n < 0 && errno == EINTR);
  return n;
}

/* "http://10.231.0.1:8888/" or "10.231.0.1:8888" or "[::1]:8888" -> host and port. */
static bool split_proxy(const char *spec, char *host, size_t hostlen, unsigned *port)
{
  const char *s = spec;
  if (strncmp(s, "http://", 7) == 0)
    s += 7;
  const char *end = s + strcspn(s, "/");
  const char *colon;
  const char *h = s, *hend;
  if (*s == '[') {
    h = s + 1;
    hend = memchr(h, ']', (size_t)(end - h));
    if (hend == NULL || hend[1] != ':')
      return false;
    colon = hend + 1;
  } else {
    colon = NULL;
    for (const char *p = s; p < end; p++)
      if (*p == ':')
        colon = p;
    if (colon == NULL)
      return false;
    hend = colon;
  }
  if ((size_t)(hend - h) >= hostlen || hend == h)
    return false;
  memcpy(host, h, (size_t)(hend - h));
  host[hend - h] = '\0';
  char *pend;
  unsigned long p = strtoul(colon + 1, &pend, 10);
  if (pend != end || p == 0 || p > 65535)
    return false;
  *port = (unsigned)p;
  return true;
}

static const char *proxy_from_env(void)
{
  static const char *const names[] = {"BOTTLE_PROXY", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
                                      "http_proxy"};
  for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
    const char *v = getenv(names[i]);
    if (v != NULL && *v != '\0')
      return v;
  }
  return NULL;
}

static int dial(const char *spec)
{
  char host[64];
  unsigned port;
  if (!split_proxy(spec, host, sizeof(host), &port))
    die("proxy address %s is not ip:port (numeric, e.g. 10.231.0.1:8888)", spec);
  struct sockaddr_storage ss = {0};
  socklen_t len;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    len = sizeof(*v6);
  } else {
    die("proxy address %s: %s is not a numeric IP address", spec, host);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket: %s", strerror(errno));
  int r;
  do
    r = connect(fd, (struct sockaddr *)&ss, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    die("cannot connect to the proxy at %s: %s", spec, strerror(errno));
  return fd;
}

/* A target must not be able to add header lines or a second request. */
static void check_target(const char *host, const char *port)
{
  if (*host == '\0' || strlen(host) > 253)
    die("HOST must be 1 to 253 characters");
  for (const char *p = host; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '/' || *p == '@')
      die("HOST %s contains a character not allowed in a host name", host);
  char *end;
  unsigned long n = strtoul(port, &end, 10);
  if (*port == '\0' || *end != '\0' || n == 0 || n > 65535)
    die("PORT %s is not a port number (1-65535)", port);
}

/* Reads the proxy's answer head; what came after it (tunnel bytes) is left in buf[*head..*have). */
static void read_head(int fd, char *buf, size_t cap, size_t *head, size_t *have)
{
  size_t n = 0;
  for (;;) {
    char *e = n >= 4 ? memmem(buf, n, "\r\n\r\n", 4) : NULL;
    if (e != NULL) {
      *head = (size_t)(e - buf) + 4;
      *have = n;
      return;
    }
    if (n == cap)
      die("the proxy's answer head is longer than %zu bytes", cap);
    ssize_t r = read_some(fd, buf + n, cap - n);
    if (r < 0)
      die("reading the proxy's answer: %s", strerror(errno));
    if (r == 0)
      die("the proxy closed the connection without answering the CONNECT");
    n += (size_t)r;
  }
}

static int refused(int fd, char *buf, size_t head, size_t have)
{
  size_t line = strcspn(buf, "\r\n");
  fprintf(stderr, "bottle-connect: the proxy refused the tunnel: %.*s\n", (int)line, buf);
  /* The block reason is the body (pipelock answers with Connection: close). */
  char body[BODY_MAX];
  size_t n = have - head < sizeof(body) ? have - head : sizeof(body);
  memcpy(body, buf + head, n);
  while (n < sizeof(body)) {
    ssize_t r = read_some(fd, body + n, sizeof(body) - n);
    if (r <= 0)
      break;
    n += (size_t)r;
  }
  if (n > 0) {
    fwrite(body, 1, n, stderr);
    if (body[n - 1] != '\n')
      fputc('\n', stderr);
  }
  return 1;
}

static void relay(int sock)
{
  char buf[65536];
  bool in_open = true;
  for (;;) {
    struct pollfd p[2] = {{.fd = sock, .events = POLLIN},
                          {.fd = in_open ? 0 : -1, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      die("poll: %s", strerror(errno));
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read_some(sock, buf, sizeof(buf));
      if (n <= 0)
        return; /* the tunnel ended: nothing more can arrive */
      if (write_full(1, buf, (size_t)n) < 0)
        return; /* ssh went away */
    }
    if (in_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read_some(0, buf, sizeof(buf));
      if (n <= 0) {
        in_open = false;
        shutdown(sock, SHUT_WR);
      } else if (write_full(sock, buf, (size_t)n) < 0) {
        return;
      }
    }
  }
}

static void usage(void)
{
  fputs("usage: bottle-connect [-p PROXY] HOST PORT\n"
        "  tunnels stdin/stdout to HOST:PORT through the bottle's proxy (HTTP CONNECT);\n"
        "  PROXY is ip:port, else $BOTTLE_PROXY, else $HTTPS_PROXY / $HTTP_PROXY.\n"
        "  For ssh: -o ProxyCommand='bottle-connect %h %p'\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv)
{
  const char *proxy = NULL;
  int i = 1;
  if (i < argc && strcmp(argv[i], "-p") == 0) {
    if (i + 1 >= argc)
      usage();
    proxy = argv[i + 1];
    i += 2;
  }
  if (argc - i != 2)
    usage();
  const char *host = argv[i], *port = argv[i + 1];
  check_target(host, port);
  if (proxy == NULL)
    proxy = proxy_from_env();
  if (proxy == NULL)
    die("no proxy: pass -p ip:port or set BOTTLE_PROXY (a bottled agent has HTTPS_PROXY)");
  signal(SIGPIPE, SIG_IGN);

  int sock = dial(proxy);
  bool v6 = strchr(host, ':') != NULL;
  char req[600];
  int len =
      snprintf(req, sizeof(req), "CONNECT %s%s%s:%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n\r\n",
               v6 ? "[" : "", host, v6 ? "]" : "", port, v6 ? "[" : "", host, v6 ? "]" : "", port);
  if (write_full(sock, req, (size_t)len) < 0)
    die("sending CONNECT to the proxy: %s", strerror(errno));

  char buf[HEAD_MAX + 1];
  size_t head = 0, have = 0;
  read_head(sock, buf, HEAD_MAX, &head, &have);
  buf[have] = '\0';
  /* "HTTP/1.x 200 ..." */
  if (strncmp(buf, "HTTP/1.", 7) != 0 || have < 12 || strncmp(buf + 8, " 200", 4) != 0 ||
      (buf[12] != ' ' && buf[12] != '\r'))
    return refused(sock, buf, head, have);
  if (have > head && write_full(1, buf + head, have - head) < 0)
    return 1;
  relay(sock);
  return 0;
}

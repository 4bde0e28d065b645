#include "tests/pipelock-double/resolver.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "tests/pipelock-double/cleanup.h"

static const char *env_or(const char *name, const char *fallback)
{
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

static int lookup_hosts_file(const char *name, struct ipaddr *out, size_t max)
{
  autofclose FILE *f = fopen(env_or("PIPELOCK_DOUBLE_HOSTS", "/etc/hosts"), "re");
  if (!f)
    return 0;
  char line[1024];
  size_t n = 0;
  while (n < max && fgets(line, sizeof(line), f)) {
    char *hash = strchr(line, '#');
    if (hash)
      *hash = '\0';
    char *save = NULL;
    char *addr = strtok_r(line, " \t\r\n", &save);
    struct ipaddr ip;
    if (!addr || !ipaddr_parse(addr, &ip) || ip.family != AF_INET)
      continue;
    for (char *alias; (alias = strtok_r(NULL, " \t\r\n", &save));) {
      size_t al = strlen(alias);
      if (al > 0 && alias[al - 1] == '.')
        alias[al - 1] = '\0';
      if (strcasecmp(alias, name) == 0) {
        out[n++] = ip;
        break;
      }
    }
  }
  return (int)n;
}

struct nameserver {
  struct sockaddr_storage addr;
  socklen_t len;
  char text[64];
};

static void set_nameserver(struct nameserver *ns, const char *ip, unsigned port)
{
  struct ipaddr a;
  memset(ns, 0, sizeof(*ns));
  if (!ipaddr_parse(ip, &a)) {
    ipaddr_parse("127.0.0.1", &a);
    ip = "127.0.0.1";
  }
  if (a.family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ns->addr;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((unsigned short)port);
    memcpy(&sin->sin_addr, a.b, 4);
    ns->len = sizeof(*sin);
    snprintf(ns->text, sizeof(ns->text), "%s:%u", ip, port);
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ns->addr;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((unsigned short)port);
    memcpy(&sin6->sin6_addr, a.b, 16);
    ns->len = sizeof(*sin6);
    snprintf(ns->text, sizeof(ns->text), "[%s]:%u", ip, port);
  }
}

static void pick_nameserver(struct nameserver *ns)
{
  const char *forced = getenv("PIPELOCK_DOUBLE_NAMESERVER");
  if (forced && *forced) {
    char ip[64];
    snprintf(ip, sizeof(ip), "%s", forced);
    unsigned port = 53;
    char *colon = strrchr(ip, ':');
    if (colon && strchr(ip, '.')) {
      *colon = '\0';
      port = (unsigned)atoi(colon + 1);
    }
    set_nameserver(ns, ip, port);
    return;
  }
  autofclose FILE *f = fopen(env_or("PIPELOCK_DOUBLE_RESOLV_CONF", "/etc/resolv.conf"), "re");
  char line[512];
  while (f && fgets(line, sizeof(line), f)) {
    char *save = NULL;
    char *word = strtok_r(line, " \t\r\n", &save);
    if (!word || strcmp(word, "nameserver") != 0)
      continue;
    char *ip = strtok_r(NULL, " \t\r\n", &save);
    struct ipaddr a;
    if (ip && ipaddr_parse(ip, &a)) {
      set_nameserver(ns, ip, 53);
      return;
    }
  }
  set_nameserver(ns, "127.0.0.1", 53);
}

int dns_encode_query(unsigned short id, const char *name, unsigned short qtype, unsigned char *buf,
                     size_t buflen)
{
  size_t namelen = strlen(name);
  if (namelen == 0 || namelen > 253 || buflen < 12 + namelen + 2 + 4)
    return -1;
  memset(buf, 0, 12);
  buf[0] = (unsigned char)(id >> 8);
  buf[1] = (unsigned char)id;
  buf[2] = 0x01; /* RD */
  buf[5] = 1;    /* QDCOUNT */
  size_t off = 12;
  const char *label = name;
  while (*label) {
    const char *dot = strchr(label, '.');
    size_t ll = dot ? (size_t)(dot - label) : strlen(label);
    if (ll == 0 || ll > 63)
      return -1;
    buf[off++] = (unsigned char)ll;
    memcpy(buf + off, label, ll);
    off += ll;
    label += ll;
    if (*label == '.')
      label++;
  }
  buf[off++] = 0;
  buf[off++] = (unsigned char)(qtype >> 8);
  buf[off++] = (unsigned char)qtype;
  buf[off++] = 0;
  buf[off++] = 1; /* IN */
  return (int)off;
}

int dns_read_name(const unsigned char *msg, size_t len, size_t *off, char *out, size_t outlen)
{
  size_t pos = *off, olen = 0;
  bool jumped = false;
  for (int hops = 0; hops < 64; hops++) {
    if (pos >= len)
      return -1;
    unsigned char l = msg[pos];
    if (l == 0) {
      if (!jumped)
        *off = pos + 1;
      if (outlen)
        out[olen] = '\0';
      return 0;
    }
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= len)
        return -1;
      if (!jumped)
        *off = pos + 2;
      jumped = true;
      pos = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
      continue;
    }
    if (l & 0xc0 || pos + 1 + l > len)
      return -1;
    if (olen + l + 2 > outlen)
      return -1;
    if (olen)
      out[olen++] = '.';
    memcpy(out + olen, msg + pos + 1, l);
    olen += l;
    pos += 1 + (size_t)l;
  }
  return -1;
}

static int parse_answer(const unsigned char *msg, size_t len, unsigned short id, struct ipaddr *out,
                        size_t max, int *rcode)
{
  if (len < 12 || ((msg[0] << 8) | msg[1]) != id || !(msg[2] & 0x80))
    return -2; /* not our answer */
  *rcode = msg[3] & 0x0f;
  unsigned qd = (unsigned)(msg[4] << 8) | msg[5], an = (unsigned)(msg[6] << 8) | msg[7];
  size_t off = 12;
  char name[300];
  for (unsigned i = 0; i < qd; i++) {
    if (dns_read_name(msg, len, &off, name, sizeof(name)) < 0 || off + 4 > len)
      return -1;
    off += 4;
  }
  size_t n = 0;
  for (unsigned i = 0; i < an && n < max; i++) {
    if (dns_read_name(msg, len, &off, name, sizeof(name)) < 0 || off + 10 > len)
      return -1;
    unsigned type = (unsigned)(msg[off] << 8) | msg[off + 1];
    unsigned cls = (unsigned)(msg[off + 2] << 8) | msg[off + 3];
    size_t rdlen = (size_t)(msg[off + 8] << 8) | msg[off + 9];
    off += 10;
    if (off + rdlen > len)
      return -1;
    if (type == 1 && cls == 1 && rdlen == 4) {
      memset(&out[n], 0, sizeof(out[n]));
      out[n].family = AF_INET;
      memcpy(out[n].b, msg + off, 4);
      n++;
    }
    off += rdlen;
  }
  return (int)n;
}

static int dns_query(const char *name, struct ipaddr *out, size_t max, char *err, size_t errlen)
{
  struct nameserver ns;
  pick_nameserver(&ns);
  unsigned short id;
  if (getrandom(&id, sizeof(id), 0) != sizeof(id))
    id = (unsigned short)getpid();
  unsigned char query[300], answer[1500];
  int qlen = dns_encode_query(id, name, 1, query, sizeof(query));
  if (qlen < 0) {
    snprintf(err, errlen, "lookup %s: invalid domain name", name);
    return -1;
  }
  autoclose int fd = socket(ns.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&ns.addr, ns.len) < 0) {
    snprintf(err, errlen, "lookup %s on %s: %s", name, ns.text, strerror(errno));
    return -1;
  }
  for (int attempt = 0; attempt < 2; attempt++) {
    if (send(fd, query, (size_t)qlen, 0) < 0) {
      snprintf(err, errlen, "lookup %s on %s: %s", name, ns.text, strerror(errno));
      return -1;
    }
    for (;;) {
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      int pr = poll(&pfd, 1, 2000);
      if (pr == 0)
        break;
      if (pr < 0) {
        if (errno == EINTR)
          continue;
        break;
      }
      ssize_t got = recv(fd, answer, sizeof(answer), 0);
      if (got < 0) {
        snprintf(err, errlen, "lookup %s on %s: %s", name, ns.text, strerror(errno));
        return -1;
      }
      int rcode = 0;
      int n = parse_answer(answer, (size_t)got, id, out, max, &rcode);
      if (n == -2)
        continue;
      if (n < 0 || (rcode != 0 && rcode != 3)) {
        snprintf(err, errlen, "lookup %s on %s: server misbehaving", name, ns.text);
        return -1;
      }
      if (n == 0) {
        snprintf(err, errlen, "lookup %s on %s: no such host", name, ns.text);
        return -1;
      }
      return n;
    }
  }
  snprintf(err, errlen, "lookup %s on %s: i/o timeout", name, ns.text);
  return -1;
}

int resolve_host(const char *name, struct ipaddr *out, size_t max, char *err, size_t errlen)
{
  int n = lookup_hosts_file(name, out, max);
  if (n > 0)
    return n;
  return dns_query(name, out, max, err, errlen);
}

#include "tests/pipelock-double/fakedns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/pipelock-double/cleanup.h"
#include "tests/pipelock-double/http.h"
#include "tests/pipelock-double/resolver.h"

struct record {
  const char *name;
  struct in_addr addr;
};

static int usage_error(const char *what)
{
  fprintf(stderr, "fake-dns: %s\nusage: fake-dns --listen IPV4:PORT --log FILE [NAME=IPV4...]\n",
          what);
  return 1;
}

static size_t build_reply(const unsigned char *q, size_t qlen, size_t qend, const struct record *r,
                          bool known, unsigned qtype, unsigned char *out, size_t outlen)
{
  if (qend + 16 > outlen)
    return 0;
  memcpy(out, q, qend);
  out[2] = (unsigned char)(0x80 | (q[2] & 0x01));   /* QR, keep RD */
  out[3] = (unsigned char)(0x80 | (known ? 0 : 3)); /* RA, NOERROR or NXDOMAIN */
  out[4] = 0;
  out[5] = 1;
  memset(out + 6, 0, 6);
  size_t off = qend;
  if (known && qtype == 1) {
    out[7] = 1;
    static const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
    memcpy(out + off, rr, sizeof(rr));
    off += sizeof(rr);
    memcpy(out + off, &r->addr, 4);
    off += 4;
  }
  (void)qlen;
  return off;
}

int fake_dns_main(int argc, char **argv)
{
  const char *listen_addr = NULL, *log_path = NULL;
  struct record records[64];
  size_t n_records = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen_addr = argv[++i];
    } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
      log_path = argv[++i];
    } else {
      char *eq = strchr(argv[i], '=');
      if (!eq || n_records >= 64)
        return usage_error("bad argument");
      *eq = '\0';
      records[n_records].name = argv[i];
      if (inet_pton(AF_INET, eq + 1, &records[n_records].addr) != 1)
        return usage_error("bad IPv4 address in NAME=IPV4");
      n_records++;
    }
  }
  if (!listen_addr || !log_path)
    return usage_error("--listen and --log are required");
  char host[64];
  int port;
  struct sockaddr_in sin = {.sin_family = AF_INET};
  const char *colon = strrchr(listen_addr, ':');
  if (!colon || (size_t)(colon - listen_addr) >= sizeof(host))
    return usage_error("bad --listen");
  memcpy(host, listen_addr, (size_t)(colon - listen_addr));
  host[colon - listen_addr] = '\0';
  port = atoi(colon + 1);
  if (inet_pton(AF_INET, host, &sin.sin_addr) != 1 || port < 0 || port > 65535)
    return usage_error("bad --listen");
  sin.sin_port = htons((unsigned short)port);
  autoclose int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
    fprintf(stderr, "fake-dns: bind %s: %s\n", listen_addr, strerror(errno));
    return 1;
  }
  autoclose int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logfd < 0) {
    fprintf(stderr, "fake-dns: open %s: %s\n", log_path, strerror(errno));
    return 1;
  }
  socklen_t sl = sizeof(sin);
  getsockname(fd, (struct sockaddr *)&sin, &sl);
  printf("listening %s:%d\n", host, ntohs(sin.sin_port));
  fflush(stdout);
  for (;;) {
    unsigned char q[512], out[600];
    struct sockaddr_storage peer;
    socklen_t pl = sizeof(peer);
    ssize_t got = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&peer, &pl);
    if (got < 12)
      continue;
    size_t off = 12;
    char name[300];
    if (dns_read_name(q, (size_t)got, &off, name, sizeof(name)) < 0 || off + 4 > (size_t)got)
      continue;
    unsigned qtype = (unsigned)(q[off] << 8) | q[off + 1];
    off += 4;
    char line[400];
    int ll = snprintf(line, sizeof(line), "%s %u\n", name, qtype);
    write_all(logfd, line, (size_t)ll);
    const struct record *match = NULL;
    for (size_t i = 0; i < n_records; i++)
      if (strcasecmp(records[i].name, name) == 0)
        match = &records[i];
    size_t len = build_reply(q, (size_t)got, off, match, match != NULL, qtype, out, sizeof(out));
    if (len)
      sendto(fd, out, len, 0, (struct sockaddr *)&peer, pl);
  }
}

/* A tiny DNS server for tests: answers A queries from a name=IPv4 table, NXDOMAIN for
 * anything else, and appends every query's name to a count file (one line per query), so
 * a test can assert that no query reached it.
 *
 *   testdns LISTEN_IP[:PORT] COUNT_FILE [name=ip ...]      (port defaults to 53)
 *
 * Runs in the foreground until killed. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct entry {
  char name[256];
  struct in_addr ip;
};

/* Reads the first question's name as "a.b.c" (lower case); returns the offset after it. */
static size_t read_qname(const unsigned char *m, size_t len, char *out, size_t outlen)
{
  size_t off = 12, w = 0;
  while (off < len && m[off] != 0) {
    size_t label = m[off++];
    if (label > 63 || off + label > len || w + label + 2 > outlen)
      return 0;
    if (w > 0)
      out[w++] = '.';
    for (size_t i = 0; i < label; i++) {
      unsigned char c = m[off + i];
      out[w++] = isgraph(c) ? (char)tolower(c) : '?';
    }
    off += label;
  }
  out[w] = '\0';
  return off < len ? off + 1 : 0;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: testdns LISTEN_IP[:PORT] COUNT_FILE [name=ip ...]\n");
    return 2;
  }
  char host[64];
  snprintf(host, sizeof(host), "%s", argv[1]);
  int port = 53;
  char *colon = strchr(host, ':');
  if (colon) {
    *colon = '\0';
    port = atoi(colon + 1);
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "testdns: bad listen address %s\n", argv[1]);
    return 2;
  }
  size_t n = (size_t)(argc - 3);
  struct entry *table = calloc(n + 1, sizeof(*table));
  for (size_t i = 0; i < n; i++) {
    const char *arg = argv[3 + i];
    const char *eq = strchr(arg, '=');
    if (eq == NULL || inet_pton(AF_INET, eq + 1, &table[i].ip) != 1) {
      fprintf(stderr, "testdns: bad entry '%s' (want name=ipv4)\n", arg);
      return 2;
    }
    snprintf(table[i].name, sizeof(table[i].name), "%.*s", (int)(eq - arg), arg);
    for (char *p = table[i].name; *p; p++)
      *p = (char)tolower((unsigned char)*p);
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
    fprintf(stderr, "testdns: bind %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  for (;;) {
    unsigned char m[512];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t len = recvfrom(fd, m, sizeof(m), 0, (struct sockaddr *)&from, &fl);
    if (len < 12)
      continue;
    char qname[256] = "";
    size_t end = read_qname(m, (size_t)len, qname, sizeof(qname));
    FILE *count = fopen(argv[2], "ae");
    if (count) {
      fprintf(count, "%s\n", end ? qname : "(malformed)");
      fclose(count);
    }
    if (end == 0 || end + 4 > (size_t)len)
      continue;
    uint16_t qtype = (uint16_t)(m[end] << 8 | m[end + 1]);
    const struct entry *hit = NULL;
    for (size_t i = 0; i < n; i++)
      if (strcmp(table[i].name, qname) == 0)
        hit = &table[i];
    size_t out = end + 4;        /* header + question */
    m[2] = 0x84 | (m[2] & 0x01); /* response, authoritative, keep RD */
    m[3] = hit ? 0 : 3;          /* NOERROR or NXDOMAIN */
    m[4] = 0, m[5] = 1;          /* one question */
    m[6] = 0, m[7] = 0, m[8] = 0, m[9] = 0, m[10] = 0, m[11] = 0;
    if (hit && qtype == 1 && out + 16 <= sizeof(m)) {
      m[7] = 1;
      const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4};
      memcpy(m + out, rr, sizeof(rr));
      memcpy(m + out + sizeof(rr), &hit->ip, 4);
      out += sizeof(rr) + 4;
    }
    sendto(fd, m, out, 0, (struct sockaddr *)&from, fl);
  }
}

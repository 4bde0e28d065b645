/* netns/: unit tests (no arguments), and a small driver the shell tests use:
 *   test_netns build NAME engine|uplink|bare port=P [engine=PATH] [link_pool=C]
 *                    [uplink_pool=C] [run_dir=D] [state_dir=D] [phase=begin|finish] [inbound=1]
 *       prints the topology as shell assignments (phase: only that half of the build)
 *   test_netns teardown NAME [state_dir=D]
 *   test_netns gc [state_dir=D] [all]              all: completed topologies count as unused
 *   test_netns bench PREFIX engine|uplink port=P held=N [rounds=R] [...build options]
 *       holds N topologies, then times R build+teardown cycles of one more; prints
 *       "held=N median_ms=X min_ms=Y max_ms=Z build_median_ms=B" (integration/bench/netns.sh)
 *   test_netns probe tcp|udp|icmp|tcp6 ADDR [PORT]  prints how a connection attempt ends:
 *       connected | reply | refused | unreachable | timeout | error:<errno name>
 * The probe waits at most 3 s; the tests treat "timeout" as a failure, never as a pass. */
#include "netns/netns.h"
#include "netns/internal.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *opt(int argc, char **argv, const char *key)
{
  size_t len = strlen(key);
  for (int i = 0; i < argc; i++)
    if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=')
      return argv[i] + len + 1;
  return NULL;
}

static bool flag(int argc, char **argv, const char *key)
{
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], key) == 0)
      return true;
  return false;
}

static void print_topology(const struct netns_topology *t)
{
  printf("AGENT_NETNS=%s\nSIDECAR_NETNS=%s\nAGENT_IP=%s\nSIDECAR_IP=%s\nPREFIX=%d\n"
         "AGENT_IF=%s\nSIDECAR_IF=%s\nUPLINK_HOST_IF=%s\nUPLINK_HOST_IP=%s\nUPLINK_SIDECAR_IP=%s\n",
         t->agent_netns, t->sidecar_netns, t->agent_ip, t->sidecar_ip, t->prefix, t->agent_ifname,
         t->sidecar_ifname, t->uplink_host_ifname, t->uplink_host_ip, t->uplink_sidecar_ip);
}

static int cmd_build(int argc, char **argv)
{
  if (argc < 4)
    return fprintf(stderr, "usage: build NAME engine|uplink|bare port=P ...\n"), 2;
  struct netns_spec s = {
      .name = argv[2],
      .mode = strcmp(argv[3], "engine") == 0   ? NETNS_MODE_ENGINE
              : strcmp(argv[3], "uplink") == 0 ? NETNS_MODE_UPLINK
              : strcmp(argv[3], "bare") == 0   ? NETNS_MODE_BARE
                                               : 0,
      .engine_netns = opt(argc, argv, "engine"),
      .link_pool = opt(argc, argv, "link_pool"),
      .uplink_pool = opt(argc, argv, "uplink_pool"),
      .proxy_port = (uint16_t)atoi(opt(argc, argv, "port") ? opt(argc, argv, "port") : "0"),
      .inbound = opt(argc, argv, "inbound") && strcmp(opt(argc, argv, "inbound"), "1") == 0,
      .run_dir = opt(argc, argv, "run_dir"),
      .state_dir = opt(argc, argv, "state_dir"),
  };
  struct netns_topology t;
  bottle_error_t err = {0};
  const char *phase = opt(argc, argv, "phase");
  int rc = !phase                         ? netns_build(&s, &t, &err)
           : strcmp(phase, "begin") == 0  ? netns_build_begin(&s, &t, &err)
           : strcmp(phase, "finish") == 0 ? netns_build_finish(&s, &err)
                                          : berr(&err, 0, "phase=%s?", phase);
  if (rc < 0)
    return fprintf(stderr, "build: %s\n", err.msg), 1;
  if (phase == NULL || strcmp(phase, "begin") == 0)
    print_topology(&t);
  return 0;
}

static int cmd_teardown(int argc, char **argv)
{
  bottle_error_t err = {0};
  if (argc < 3 || netns_teardown(opt(argc, argv, "state_dir"), argv[2], &err) < 0)
    return fprintf(stderr, "teardown: %s\n", err.msg), 1;
  return 0;
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int cmd_bench(int argc, char **argv)
{
  if (argc < 4)
    return fprintf(stderr, "usage: bench PREFIX engine|uplink port=P held=N [rounds=R]\n"), 2;
  struct netns_spec s = {
      .mode = strcmp(argv[3], "engine") == 0 ? NETNS_MODE_ENGINE : NETNS_MODE_UPLINK,
      .engine_netns = opt(argc, argv, "engine"),
      .link_pool = opt(argc, argv, "link_pool"),
      .uplink_pool = opt(argc, argv, "uplink_pool"),
      .proxy_port = (uint16_t)atoi(opt(argc, argv, "port") ? opt(argc, argv, "port") : "0"),
      .inbound = opt(argc, argv, "inbound") && strcmp(opt(argc, argv, "inbound"), "1") == 0,
      .run_dir = opt(argc, argv, "run_dir"),
      .state_dir = opt(argc, argv, "state_dir"),
  };
  int held = atoi(opt(argc, argv, "held") ? opt(argc, argv, "held") : "0");
  int rounds = atoi(opt(argc, argv, "rounds") ? opt(argc, argv, "rounds") : "15");
  if (rounds < 1 || rounds > 1000 || held < 0 || held > 1000)
    return fprintf(stderr, "bench: held 0..1000, rounds 1..1000\n"), 2;
  bottle_error_t err = {0};
  struct netns_topology t;
  char name[NETNS_NAME_MAX + 1];
  int rc = 0, built = 0;
  for (; built < held; built++) {
    snprintf(name, sizeof(name), "%s-held-%d", argv[2], built);
    s.name = name;
    if (netns_build(&s, &t, &err) < 0) {
      fprintf(stderr, "bench: %s\n", err.msg);
      rc = 1;
      break;
    }
  }
  double *ms = calloc((size_t)rounds, sizeof(double));
  double *build_ms = calloc((size_t)rounds, sizeof(double));
  snprintf(name, sizeof(name), "%s-probe", argv[2]);
  s.name = name;
  for (int i = 0; i < rounds && rc == 0; i++) {
    double start = now_ms();
    if (netns_build(&s, &t, &err) < 0) {
      fprintf(stderr, "bench: %s\n", err.msg);
      rc = 1;
    }
    build_ms[i] = now_ms() - start;
    struct netns_leftover left = {0};
    if (rc == 0 && netns_teardown_begin(s.state_dir, name, &left, &err) < 0) {
      fprintf(stderr, "bench: %s\n", err.msg);
      rc = 1;
    }
    ms[i] = now_ms() - start;
    /* the runtime leaves this to its teardown child, after the report */
    netns_teardown_finish(&left);
  }
  for (int i = 0; i < built; i++) {
    snprintf(name, sizeof(name), "%s-held-%d", argv[2], i);
    if (netns_teardown(s.state_dir, name, &err) < 0) {
      fprintf(stderr, "bench: %s\n", err.msg);
      rc = 1;
    }
  }
  if (rc == 0) {
    qsort(ms, (size_t)rounds, sizeof(double), cmp_double);
    qsort(build_ms, (size_t)rounds, sizeof(double), cmp_double);
    printf("held=%d median_ms=%.2f min_ms=%.2f max_ms=%.2f build_median_ms=%.2f\n", held,
           ms[rounds / 2], ms[0], ms[rounds - 1], build_ms[rounds / 2]);
  }
  free(ms);
  free(build_ms);
  return rc;
}

static int unused(const char *name, void *data)
{
  return 0;
}

static int cmd_gc(int argc, char **argv)
{
  bottle_error_t err = {0};
  int n =
      netns_gc(opt(argc, argv, "state_dir"), flag(argc, argv, "all") ? unused : NULL, NULL, &err);
  if (n < 0)
    return fprintf(stderr, "gc: %s\n", err.msg), 1;
  printf("removed %d\n", n);
  return 0;
}

static const char *outcome(int e)
{
  switch (e) {
  case 0:
    return "connected";
  case ECONNREFUSED:
    return "refused";
  case ENETUNREACH:
  case EHOSTUNREACH:
  case EADDRNOTAVAIL:
  case EACCES:
  case EPERM:
    return "unreachable";
  case ETIMEDOUT:
    return "timeout";
  default:
    return strerrorname_np(e) ? strerrorname_np(e) : "error";
  }
}

/* Waits for the socket's pending error (or readability); ETIMEDOUT after 3 s. */
static int wait_result(int fd, short events)
{
  struct pollfd p = {.fd = fd, .events = events};
  int n = poll(&p, 1, 3000);
  if (n == 0)
    return ETIMEDOUT;
  int e = 0;
  socklen_t len = sizeof(e);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
  return e;
}

static uint16_t icmp_sum(const unsigned char *p, size_t len)
{
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* An echo request; then any ICMP that concerns it: a reply from the target, or an error
 * from anyone whose quoted header names the target (an unconnected raw socket sees errors
 * sent by intermediate hops too). */
static int probe_icmp(struct in_addr dst)
{
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0)
    return printf("%s\n", outcome(errno)), 0;
  unsigned char msg[8] = {ICMP_ECHO, 0, 0, 0, (uint8_t)(getpid() >> 8), (uint8_t)getpid(), 0, 1};
  uint16_t sum = icmp_sum(msg, sizeof(msg));
  msg[2] = (uint8_t)(sum >> 8), msg[3] = (uint8_t)sum;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
  const char *result = "timeout";
  if (sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
    result = outcome(errno);
  } else {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, 3000) > 0) {
      unsigned char buf[1500];
      struct sockaddr_in from;
      socklen_t fl = sizeof(from);
      ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
      if (n < 28)
        continue;
      size_t ihl = (size_t)(buf[0] & 0xf) * 4;
      const unsigned char *icmp = buf + ihl;
      if (icmp[0] == ICMP_ECHOREPLY && from.sin_addr.s_addr == dst.s_addr &&
          memcmp(icmp + 4, msg + 4, 4) == 0) {
        result = "reply";
        break;
      }
      if (icmp[0] == ICMP_DEST_UNREACH && (size_t)n >= ihl + 8 + 20 &&
          memcmp(icmp + 8 + 16, &dst, 4) == 0) {
        result = "unreachable";
        break;
      }
    }
  }
  close(fd);
  printf("%s\n", result);
  return 0;
}

static int cmd_probe(int argc, char **argv)
{
  if (argc < 4)
    return fprintf(stderr, "usage: probe tcp|udp|icmp|tcp6 ADDR [PORT]\n"), 2;
  const char *kind = argv[2];
  int port = argc > 4 ? atoi(argv[4]) : 0;
  struct sockaddr_storage ss = {0};
  socklen_t sl;
  int family = AF_INET;
  if (strcmp(kind, "tcp6") == 0) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    char addr[128];
    snprintf(addr, sizeof(addr), "%s", argv[3]);
    char *pct = strchr(addr, '%');
    if (pct) {
      *pct = '\0';
      a6->sin6_scope_id = if_nametoindex(pct + 1);
    }
    family = a6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
      return fprintf(stderr, "bad address %s\n", argv[3]), 2;
    a6->sin6_port = htons((uint16_t)port);
    sl = sizeof(*a6);
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    a4->sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[3], &a4->sin_addr) != 1)
      return fprintf(stderr, "bad address %s\n", argv[3]), 2;
    a4->sin_port = htons((uint16_t)port);
    sl = sizeof(*a4);
  }
  if (strcmp(kind, "icmp") == 0)
    return probe_icmp(((struct sockaddr_in *)&ss)->sin_addr);
  int type = strcmp(kind, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return printf("%s\n", outcome(errno)), 0;
  int e = 0;
  if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
    e = errno;
  if (type == SOCK_STREAM) {
    if (e == EINPROGRESS)
      e = wait_result(fd, POLLOUT);
  } else if (e == 0) {
    /* A DNS-shaped datagram: an answer or an ICMP error (reported on the connected
     * socket) comes back. */
    unsigned char msg[12] = {0x12, 0x34};
    if (send(fd, msg, sizeof(msg), 0) < 0) {
      e = errno;
    } else if ((e = wait_result(fd, POLLIN)) == 0) {
      unsigned char buf[512];
      e = recv(fd, buf, sizeof(buf), 0) < 0 ? errno : -1;
    }
  }
  close(fd);
  printf("%s\n", e == -1 ? "reply" : outcome(e));
  return 0;
}

/* ---- unit tests ---- */

static void test_names(void)
{
  bottle_error_t err = {0};
  CHECK(nn_check_name("abc123_-.x", &err) == 0);
  berr_clear(&err);
  CHECK(nn_check_name("", &err) < 0 && err.errnum == EINVAL);
  CHECK(nn_check_name(".hidden", &err) < 0);
  berr_clear(&err);
  CHECK(nn_check_name("a/b", &err) < 0 && strstr(err.msg, "name") != NULL);
  char longname[200];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  CHECK(nn_check_name(longname, &err) < 0);
  char h1[NN_HASH_LEN + 1], h2[NN_HASH_LEN + 1], h3[NN_HASH_LEN + 1];
  nn_hash("container-1", h1);
  nn_hash("container-1", h2);
  nn_hash("container-2", h3);
  CHECK(strlen(h1) == NN_HASH_LEN && strcmp(h1, h2) == 0 && strcmp(h1, h3) != 0);
  CHECK(strlen("btlh") + NN_HASH_LEN < IFNAMSIZ);
}

static void test_cidr(void)
{
  struct nn_cidr c, s;
  CHECK(nn_cidr_parse("10.1.2.3/24", &c) == 0 && c.addr == 0x0a010200 && c.prefix == 24);
  CHECK(nn_cidr_parse("10.1.2.3", &c) < 0);
  CHECK(nn_cidr_parse("10.1.2.3/33", &c) < 0);
  CHECK(nn_cidr_parse("nonsense/8", &c) < 0);
  CHECK(nn_cidr_parse("10.1.2.0/28", &c) == 0);
  CHECK(nn_cidr_slot(c, 0, &s) && s.addr == 0x0a010200 && s.prefix == 30);
  CHECK(nn_cidr_slot(c, 3, &s) && s.addr == 0x0a01020c);
  CHECK(!nn_cidr_slot(c, 4, &s));
  struct nn_cidr a = {0x0a000000, 8}, b = {0x0a010204, 30}, d = {0x0b000000, 8};
  CHECK(nn_cidr_overlap(a, b) && nn_cidr_overlap(b, a) && !nn_cidr_overlap(a, d));
  char ip[16];
  nn_ip_str(0xc0000201, ip);
  CHECK(strcmp(ip, "192.0.2.1") == 0);
}

static void test_spec_errors(void)
{
  struct netns_topology t;
  bottle_error_t err = {0};
  struct netns_spec s = {.name = "x", .mode = NETNS_MODE_UPLINK, .proxy_port = 0};
  CHECK(netns_build(&s, &t, &err) < 0 && strstr(err.msg, "proxy_port") != NULL);
  s.proxy_port = 8888;
  s.mode = 7;
  berr_clear(&err);
  CHECK(netns_build(&s, &t, &err) < 0 && strstr(err.msg, "mode") != NULL);
  s.mode = NETNS_MODE_ENGINE;
  berr_clear(&err);
  CHECK(netns_build(&s, &t, &err) < 0 && strstr(err.msg, "engine_netns") != NULL);
  s.engine_netns = "/proc/1/ns/net";
  s.link_pool = "10.0.0.0/31";
  berr_clear(&err);
  CHECK(netns_build(&s, &t, &err) < 0 && strstr(err.msg, "link_pool") != NULL);
  s.link_pool = NULL;
  s.name = "../etc";
  berr_clear(&err);
  CHECK(netns_build(&s, &t, &err) < 0 && strstr(err.msg, "name") != NULL);
  berr_clear(&err);
  CHECK(netns_teardown("/nonexistent-state", "never-built", &err) == 0);
}

static bool exists(const char *path)
{
  return access(path, F_OK) == 0;
}

/* Real namespaces, inside a private "host" netns so nothing touches the machine's own. */
/* The index of link name in the netns at path, set down on the way; 0 when there is none. */
static int engine_link_index(const char *path, const char *name)
{
  bottle_error_t err = {0};
  int fd = nn_netns_open(path, &err), idx = -1;
  struct nl_sock *sk = fd >= 0 ? nn_rtnl_open(fd, &err) : NULL;
  if (sk != NULL && nn_link_down(sk, name, &idx, &err) < 0)
    idx = -1;
  nn_rtnl_close(sk);
  if (fd >= 0)
    close(fd);
  return idx;
}

/* netns_check_agent: bottle's link and lo pass; another link, or a new link under the old
 * name, is refused. */
static void test_check_agent(const struct netns_topology *t)
{
  bottle_error_t err = {0};
  int eth = 0;
  CHECK(netns_check_agent(t, &eth, &err) == 0 && eth > 0);
  int fd = nn_netns_open(t->agent_netns, &err);
  struct nl_sock *sk = fd >= 0 ? nn_rtnl_open(fd, &err) : NULL;
  CHECK(sk != NULL);
  if (sk == NULL)
    return;
  CHECK(nn_veth_create(sk, "extra0", -1, "extra1", -1, &err) == 0);
  int again = eth;
  berr_clear(&err);
  CHECK(netns_check_agent(t, &again, &err) < 0 && err.errnum == EPERM &&
        strstr(err.msg, "is not bottle's") != NULL);
  int idx = 0;
  berr_clear(&err);
  CHECK(nn_link_down(sk, "extra0", &idx, &err) == 0 && nn_link_delete(sk, idx, &err) == 0);
  again = eth;
  CHECK(netns_check_agent(t, &again, &err) == 0 && again == eth);
  /* eth0 replaced by a new link of the same name (its peer elsewhere) */
  berr_clear(&err);
  CHECK(nn_link_delete(sk, eth, &err) == 0);
  int side = nn_netns_open(t->sidecar_netns, &err);
  CHECK(nn_veth_create(sk, t->agent_ifname, -1, "extra1", side, &err) == 0);
  close(side);
  again = eth;
  berr_clear(&err);
  CHECK(netns_check_agent(t, &again, &err) < 0 && strstr(err.msg, t->agent_ifname) != NULL);
  nn_rtnl_close(sk);
  close(fd);
}

static void test_build_in_private_host(void)
{
  char dir[] = "/tmp/test_netns.XXXXXX";
  if (mkdtemp(dir) == NULL)
    return;
  char run[PATH_MAX], state[PATH_MAX], engine[PATH_MAX];
  snprintf(run, sizeof(run), "%s/run", dir);
  snprintf(state, sizeof(state), "%s/state", dir);
  snprintf(engine, sizeof(engine), "%s/engine", dir);
  bottle_error_t err = {0};
  struct netns_topology t;

  struct netns_spec up = {.name = "unit-uplink",
                          .mode = NETNS_MODE_UPLINK,
                          .uplink_pool = "203.0.113.0/29",
                          .link_pool = "192.0.2.0/24",
                          .proxy_port = 8888,
                          .run_dir = run,
                          .state_dir = state};
  int rc = netns_build(&up, &t, &err);
  if (rc < 0)
    fprintf(stderr, "build: %s\n", err.msg);
  CHECK(rc == 0 && !err.set);
  CHECK(strcmp(t.agent_ip, "192.0.2.2") == 0 && strcmp(t.sidecar_ip, "192.0.2.1") == 0);
  CHECK(strcmp(t.uplink_host_ip, "203.0.113.1") == 0 && t.prefix == 30);
  CHECK(exists(t.agent_netns) && exists(t.sidecar_netns));
  berr_clear(&err);
  CHECK(netns_build(&up, &t, &err) < 0 && err.errnum == EEXIST);
  struct netns_topology loaded;
  CHECK(netns_load(state, "unit-uplink", &loaded, &err) == 0 &&
        strcmp(loaded.agent_netns, t.agent_netns) == 0);
  /* A second bottle gets the next uplink /30 but the same private link /30. */
  struct netns_spec up2 = up;
  up2.name = "unit-uplink-2";
  struct netns_topology t2;
  CHECK(netns_build(&up2, &t2, &err) == 0);
  CHECK(strcmp(t2.uplink_host_ip, "203.0.113.5") == 0 && strcmp(t2.agent_ip, t.agent_ip) == 0);
  struct netns_spec up3 = up;
  up3.name = "unit-uplink-3";
  berr_clear(&err);
  CHECK(netns_build(&up3, &t2, &err) < 0 && err.errnum == ENOSPC &&
        strstr(err.msg, "uplink_pool") != NULL);
  test_check_agent(&t);
  berr_clear(&err);
  CHECK(netns_teardown(state, "unit-uplink-2", &err) == 0);
  CHECK(netns_teardown(state, "unit-uplink", &err) == 0);
  /* Gone already: a success, and no error left behind for the next failure to hide behind. */
  CHECK(netns_teardown(state, "unit-uplink", &err) == 0 && !err.set);
  CHECK(!exists(t.agent_netns) && !exists(t.sidecar_netns));

  /* Engine mode: the engine netns already routes 192.0.2.0/30, so the next /30 is used. */
  CHECK(nn_netns_create(engine, &err) == 0);
  int efd = nn_netns_open(engine, &err);
  struct nl_sock *sk = nn_rtnl_open(efd, &err);
  CHECK(sk != NULL);
  if (sk) {
    CHECK(nn_veth_create(sk, "enga", -1, "engb", -1, &err) == 0);
    CHECK(nn_addr_add(sk, "enga", 0xc0000201, 30, &err) == 0);
    nn_rtnl_close(sk);
  }
  close(efd);
  struct netns_spec en = {.name = "unit-engine",
                          .mode = NETNS_MODE_ENGINE,
                          .engine_netns = engine,
                          .link_pool = "192.0.2.0/29",
                          .proxy_port = 8888,
                          .run_dir = run,
                          .state_dir = state};
  CHECK(netns_build(&en, &t, &err) == 0 && strcmp(t.sidecar_ip, "192.0.2.5") == 0);
  CHECK(strcmp(t.sidecar_netns, engine) == 0);
  /* A second bottle in the same engine netns, with inbound: each has its own table, and
   * removing one leaves the other's boundary whole (the start gate's check). */
  struct netns_spec en2 = en;
  en2.name = "unit-engine-2";
  en2.link_pool = "192.0.2.0/28";
  en2.inbound = true;
  struct netns_topology te2;
  CHECK(netns_build(&en2, &te2, &err) == 0 && strcmp(te2.sidecar_ip, "192.0.2.9") == 0);
  CHECK(te2.inbound && !t.inbound);
  rc = netns_check_boundary(&t, 8888, &err);
  if (rc < 0)
    fprintf(stderr, "check: %s\n", err.msg);
  CHECK(rc == 0);
  rc = netns_check_boundary(&te2, 8888, &err);
  if (rc < 0)
    fprintf(stderr, "check: %s\n", err.msg);
  CHECK(rc == 0);
  CHECK(netns_teardown(state, "unit-engine-2", &err) == 0);
  rc = netns_check_boundary(&t, 8888, &err);
  if (rc < 0)
    fprintf(stderr, "check: %s\n", err.msg);
  CHECK(rc == 0);
  CHECK(netns_check_boundary(&te2, 8888, &err) < 0);
  /* A held agent netns (an orphaned TCP connection does that) keeps the pair alive: begin
   * leaves our end in the engine's netns down, finish deletes it. */
  int held = nn_netns_open(t.agent_netns, &err);
  struct netns_leftover left;
  CHECK(netns_teardown_begin(state, "unit-engine", &left, &err) == 0 && !exists(t.agent_netns));
  CHECK(left.host_ifindex == 0 && left.sidecar_ifindex > 0);
  CHECK(engine_link_index(engine, t.sidecar_ifname) == left.sidecar_ifindex);
  netns_teardown_finish(&left);
  CHECK(engine_link_index(engine, t.sidecar_ifname) == 0);
  close(held);
  en.link_pool = "192.0.2.0/30";
  berr_clear(&err);
  CHECK(netns_build(&en, &t, &err) < 0 && err.errnum == EADDRINUSE);
  /* A path that is not a netns fails before anything is left behind. */
  en.link_pool = "192.0.2.0/29";
  en.engine_netns = state;
  berr_clear(&err);
  CHECK(netns_build(&en, &t, &err) < 0 && strstr(err.msg, "not a network namespace") != NULL);
  char rec[PATH_MAX];
  nn_record_path(state, "unit-engine", rec, sizeof(rec));
  CHECK(!exists(rec));
  nn_netns_remove(engine, &err);
  rmdir(run);
  char leases[PATH_MAX + 16], lock[PATH_MAX + 16];
  snprintf(leases, sizeof(leases), "%s/leases", state);
  snprintf(lock, sizeof(lock), "%s/uplink.lock", state);
  rmdir(leases);
  unlink(lock);
  CHECK(rmdir(state) == 0); /* nothing else was left in it */
  CHECK(rmdir(dir) == 0);
}

static int run_unit_tests(void)
{
  test_names();
  test_cidr();
  test_spec_errors();
  if (geteuid() == 0) {
    /* The child's checks are counted with ours (unit.h keeps the counts in shared memory). */
    int failed_before = unit_failures();
    pid_t pid = fork();
    if (pid == 0) {
      if (unshare(CLONE_NEWNET) < 0)
        _exit(3);
      test_build_in_private_host();
      _exit(unit_failures() > failed_before ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  } else {
    printf("not root: namespace tests left to integration/netns_*.sh\n");
  }
  return unit_finish();
}

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2)
    return run_unit_tests();
  if (strcmp(argv[1], "build") == 0)
    return cmd_build(argc, argv);
  if (strcmp(argv[1], "teardown") == 0)
    return cmd_teardown(argc, argv);
  if (strcmp(argv[1], "gc") == 0)
    return cmd_gc(argc, argv);
  if (strcmp(argv[1], "bench") == 0)
    return cmd_bench(argc, argv);
  if (strcmp(argv[1], "probe") == 0)
    return cmd_probe(argc, argv);
  fprintf(stderr, "unknown command %s\n", argv[1]);
  return 2;
}

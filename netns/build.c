#include "netns/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef BOTTLE_FAULT_INJECTION
/* The test build's crash points (Makefile, SAN=1; integration/netns_crash.sh):
 * BOTTLE_NETNS_FAIL_AT=N kills the process just before mutation step N, counted from the start
 * of netns_build_begin. The release binary has neither the variable nor the steps. */
static int fail_at, step;

static void nn_fault_injection_arm(void)
{
  const char *fail = getenv("BOTTLE_NETNS_FAIL_AT");
  fail_at = fail ? atoi(fail) : 0;
  step = 0;
}

static void nn_step(void)
{
  if (++step == fail_at)
    raise(SIGKILL);
}
#else
static void nn_fault_injection_arm(void)
{
}
static void nn_step(void)
{
}
#endif

static int mkdir_private(const char *dir, bottle_error_t *err)
{
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", dir);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
      return berr(err, errno, "mkdir %s", buf);
    *p = '/';
  }
  if (mkdir(buf, 0700) < 0 && errno != EEXIST)
    return berr(err, errno, "mkdir %s", buf);
  return 0;
}

/* Sets each "key=value" (keys below /proc/sys) inside netns nsfd. */
static int sysctls_in(int nsfd, const char *const *kv, size_t n, bottle_error_t *err)
{
  int saved = nn_enter(nsfd, err);
  if (saved < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    char key[128];
    const char *eq = strchr(kv[i], '=');
    snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
    rc = nn_sysctl_set(key, eq + 1, err);
  }
  nn_leave(saved);
  return rc;
}

#define SYSCTLS(nsfd, err, ...)                                                                    \
  ({                                                                                               \
    const char *const kv_[] = {__VA_ARGS__};                                                       \
    sysctls_in(nsfd, kv_, sizeof(kv_) / sizeof(kv_[0]), err);                                      \
  })

static int check_spec(const struct netns_spec *s, struct nn_cidr *link_pool, bottle_error_t *err)
{
  if (s == NULL)
    return berr(err, EINVAL, "netns spec: missing");
  if (nn_check_name(s->name, err) < 0)
    return -1;
  if (s->mode != NETNS_MODE_ENGINE && s->mode != NETNS_MODE_UPLINK && s->mode != NETNS_MODE_BARE)
    return berr(err, EINVAL, "mode: %d is not engine (1), uplink (2) or bare (3)", s->mode);
  if (s->mode == NETNS_MODE_ENGINE && (s->engine_netns == NULL || s->engine_netns[0] != '/'))
    return berr(err, EINVAL, "engine_netns: engine mode needs the absolute path of a netns");
  if (s->proxy_port == 0)
    return berr(err, EINVAL, "proxy_port: 0 (give the port the proxy listens on)");
  const char *lp = s->link_pool ? s->link_pool : NETNS_DEFAULT_LINK_POOL;
  if (nn_cidr_parse(lp, link_pool) < 0 || link_pool->prefix > 30)
    return berr(err, EINVAL, "link_pool '%s': need an IPv4 CIDR with prefix <= 30", lp);
  const char *run = s->run_dir ? s->run_dir : NETNS_DEFAULT_RUN_DIR;
  if (run[0] != '/' || strlen(run) + strlen(s->name) + 4 >= PATH_MAX)
    return berr(err, EINVAL, "run_dir '%s': need a short absolute path", run);
  const char *st = nn_state_dir(s->state_dir);
  if (st[0] != '/' || strlen(st) + strlen(s->name) + 16 >= PATH_MAX)
    return berr(err, EINVAL, "state_dir '%s': need a short absolute path", st);
  return 0;
}

/* The first /30 of the pool that the sidecar netns does not already use. */
static int pick_link(struct nl_sock *sk, struct nn_cidr pool, const struct nn_record *rec,
                     struct nn_cidr *out, bottle_error_t *err)
{
  struct nn_cidr c;
  for (uint32_t i = 0; nn_cidr_slot(pool, i, &c); i++) {
    bool used = false;
    if (nn_subnet_in_use(sk, c, &used, err) < 0)
      return berr_wrap(err, "link_pool");
    if (rec->lease_held && nn_cidr_overlap(c, rec->lease))
      used = true;
    if (!used) {
      *out = c;
      return 0;
    }
  }
  char p[16];
  nn_ip_str(pool.addr, p);
  return berr(err, EADDRINUSE,
              "link_pool %s/%d: every /30 overlaps an address or route of the sidecar "
              "netns (choose a link_pool that the engine network does not use)",
              p, pool.prefix);
}

struct ctx {
  const struct netns_spec *spec;
  struct nn_record rec;
  const char *state_dir;
  struct nl_sock *host, *agent_sk, *side_sk;
  int agent_fd, side_fd;
};

static int save(struct ctx *c, bottle_error_t *err)
{
  return nn_record_write(c->state_dir, &c->rec, err);
}

static int build_agent(struct ctx *c, bottle_error_t *err)
{
  struct netns_topology *t = &c->rec.topo;
  nn_step();
  if (nn_netns_create(t->agent_netns, err) < 0)
    return -1;
  if ((c->agent_fd = nn_netns_open(t->agent_netns, err)) < 0)
    return -1;
  nn_step();
  /* Before eth0 exists, so it is born with IPv6 off and never gets a link-local address. */
  return SYSCTLS(c->agent_fd, err, "net/ipv6/conf/all/disable_ipv6=1",
                 "net/ipv6/conf/default/disable_ipv6=1", "net/ipv6/conf/lo/disable_ipv6=1",
                 "net/ipv6/conf/all/accept_ra=0", "net/ipv6/conf/default/accept_ra=0",
                 "net/ipv4/conf/all/forwarding=0");
}

static int open_sidecar(struct ctx *c, bottle_error_t *err)
{
  struct netns_topology *t = &c->rec.topo;
  if (c->rec.sidecar_owned) {
    nn_step();
    if (nn_netns_create(t->sidecar_netns, err) < 0)
      return -1;
  }
  if ((c->side_fd = nn_netns_open(t->sidecar_netns, err)) < 0)
    return -1;
  struct stat st;
  if (fstat(c->side_fd, &st) < 0)
    return berr(err, errno, "stat %s", t->sidecar_netns);
  const struct netns_spec *spec = c->spec;
  if (!c->rec.sidecar_owned && (spec->engine_dev != 0 || spec->engine_ino != 0) &&
      (st.st_dev != spec->engine_dev || st.st_ino != spec->engine_ino))
    return berr(err, ESTALE,
                "engine_netns %s: not the namespace that was judged (the path changed since)",
                t->sidecar_netns);
  c->rec.sidecar_dev = st.st_dev;
  c->rec.sidecar_ino = st.st_ino;
  /* Probing that it is a netns: joining anything else fails here, before any change. */
  int saved = nn_enter(c->side_fd, err);
  if (saved < 0)
    return berr_wrap(err, "sidecar netns %s", t->sidecar_netns);
  nn_leave(saved);
  return (c->side_sk = nn_rtnl_open(c->side_fd, err)) ? 0 : -1;
}

/* nn_veth_create, but a link of the same name that the kernel is still freeing (teardown leaves
 * a pair to go with its netns, see teardown.c) is waited for: the same container id built
 * again at once reuses the name. A link that stays is reported as before. */
static int veth_create(struct nl_sock *sk, const char *name, int ns, const char *peer, int peer_ns,
                       bottle_error_t *err)
{
  for (int tries = 0;; tries++) {
    if (nn_veth_create(sk, name, ns, peer, peer_ns, err) == 0)
      return 0;
    if (err->errnum != EEXIST || tries == 2500)
      return -1;
    berr_clear(err);
    usleep(2000);
  }
}

/* Chooses the agent link's /30: known once begin returns, so a caller can write the
 * sidecar's config while finish still builds. */
static int pick_addresses(struct ctx *c, struct nn_cidr pool, bottle_error_t *err)
{
  struct netns_topology *t = &c->rec.topo;
  struct nn_cidr link = {0};
  if (pick_link(c->side_sk, pool, &c->rec, &link, err) < 0)
    return -1;
  nn_ip_str(link.addr + 1, t->sidecar_ip);
  nn_ip_str(link.addr + 2, t->agent_ip);
  t->prefix = 30;
  return save(c, err);
}

static int build_link(struct ctx *c, bottle_error_t *err)
{
  struct netns_topology *t = &c->rec.topo;
  struct in_addr side;
  if (inet_pton(AF_INET, t->sidecar_ip, &side) != 1)
    return berr(err, EINVAL, "record of %s: sidecar_ip '%s'", c->rec.name, t->sidecar_ip);
  struct nn_cidr link = {.addr = ntohl(side.s_addr) - 1, .prefix = 30};
  if (c->rec.mode == NETNS_MODE_BARE) {
    /* The engine configured the netns after begin chose the /30. */
    bool used = false;
    if (nn_subnet_in_use(c->side_sk, link, &used, err) < 0)
      return berr_wrap(err, "link_pool");
    if (used)
      return berr(err, EADDRINUSE,
                  "link_pool: %s/30 overlaps an address or route the engine gave the sidecar "
                  "netns (choose a link_pool that the engine network does not use)",
                  t->sidecar_ip);
  }
  nn_step();
  if (veth_create(c->host, t->sidecar_ifname, c->side_fd, t->agent_ifname, c->agent_fd, err) < 0)
    return -1;
  if ((c->agent_sk = nn_rtnl_open(c->agent_fd, err)) == NULL)
    return -1;
  nn_step();
  if (SYSCTLS(c->agent_fd, err, "net/ipv6/conf/eth0/disable_ipv6=1",
              "net/ipv6/conf/eth0/accept_ra=0") < 0 ||
      nn_addr_add(c->agent_sk, t->agent_ifname, link.addr + 2, 30, err) < 0 ||
      nn_link_up(c->agent_sk, "lo", err) < 0 || nn_link_up(c->agent_sk, t->agent_ifname, err) < 0)
    return berr_wrap(err, "agent netns");
  nn_step();
  char k1[96], k2[96], k3[96], k4[96];
  snprintf(k1, sizeof(k1), "net/ipv6/conf/%s/disable_ipv6=1", t->sidecar_ifname);
  snprintf(k2, sizeof(k2), "net/ipv6/conf/%s/accept_ra=0", t->sidecar_ifname);
  snprintf(k3, sizeof(k3), "net/ipv4/conf/%s/rp_filter=1", t->sidecar_ifname);
  /* ARP answers only for the link's own address: the agent cannot discover the sidecar's
   * other addresses. */
  snprintf(k4, sizeof(k4), "net/ipv4/conf/%s/arp_ignore=1", t->sidecar_ifname);
  /* icmp_ratelimit=0: every reject reaches the agent, which then fails at once instead of
   * waiting for a timeout; icmp_msgs_per_sec still caps the total. */
  if (SYSCTLS(c->side_fd, err, "net/ipv4/conf/all/forwarding=0", "net/ipv6/conf/all/forwarding=0",
              "net/ipv6/conf/all/accept_ra=0", "net/ipv6/conf/default/accept_ra=0",
              "net/ipv4/conf/all/rp_filter=1", "net/ipv4/conf/default/rp_filter=1",
              "net/ipv4/icmp_ratelimit=0", k1, k2, k3, k4) < 0 ||
      nn_addr_add(c->side_sk, t->sidecar_ifname, link.addr + 1, 30, err) < 0 ||
      (c->rec.sidecar_owned && nn_link_up(c->side_sk, "lo", err) < 0) ||
      nn_link_up(c->side_sk, t->sidecar_ifname, err) < 0)
    return berr_wrap(err, "sidecar netns");
  nn_step();
  return nn_sidecar_rules(c->side_fd, c->rec.hash, t, c->rec.proxy_port, err);
}

/* Inbound: IPv4 forwards by the input link's own flag, so it goes on for the links inbound
 * connections come in on (every link of the sidecar netns but lo and the bottles' btla*,
 * uplink0 included) and for btla<hash>, where the agent's replies come in; never conf.all or
 * ip_forward, so that another bottle's link in the same netns keeps its own. The forward
 * chains decide what passes (firewall.c). */
static int inbound_forwarding(struct ctx *c, bottle_error_t *err)
{
  const struct netns_topology *t = &c->rec.topo;
  int saved = nn_enter(c->side_fd, err);
  if (saved < 0)
    return -1;
  struct if_nameindex *ifs = if_nameindex();
  int rc = ifs == NULL ? berr(err, errno, "sidecar netns: list its links") : 0;
  for (struct if_nameindex *p = ifs; rc == 0 && p->if_index != 0; p++) {
    bool ours = strcmp(p->if_name, t->sidecar_ifname) == 0;
    if (strcmp(p->if_name, "lo") == 0 || (!ours && strncmp(p->if_name, "btla", 4) == 0))
      continue;
    char key[96];
    snprintf(key, sizeof(key), "net/ipv4/conf/%s/forwarding", p->if_name);
    rc = nn_sysctl_set(key, "1", err);
  }
  if (ifs != NULL)
    if_freenameindex(ifs);
  nn_leave(saved);
  return rc < 0 ? berr_wrap(err, "inbound forwarding") : 0;
}

static int build_uplink(struct ctx *c, bottle_error_t *err)
{
  struct netns_topology *t = &c->rec.topo;
  uint32_t base = c->rec.lease.addr;
  nn_step();
  if (veth_create(c->host, t->uplink_host_ifname, -1, "uplink0", c->side_fd, err) < 0)
    return -1;
  nn_step();
  char k1[96], k2[96], k3[96];
  snprintf(k1, sizeof(k1), "net/ipv4/conf/%s/forwarding=1", t->uplink_host_ifname);
  snprintf(k2, sizeof(k2), "net/ipv6/conf/%s/disable_ipv6=1", t->uplink_host_ifname);
  snprintf(k3, sizeof(k3), "net/ipv6/conf/%s/accept_ra=0", t->uplink_host_ifname);
  int home = nn_netns_open("/proc/thread-self/ns/net", err);
  if (home < 0)
    return -1;
  int rc = SYSCTLS(home, err, k1, k2, k3);
  close(home);
  if (rc < 0 || nn_addr_add(c->host, t->uplink_host_ifname, base + 1, 30, err) < 0 ||
      nn_link_up(c->host, t->uplink_host_ifname, err) < 0)
    return berr_wrap(err, "host uplink");
  nn_step();
  if (SYSCTLS(c->side_fd, err, "net/ipv6/conf/uplink0/disable_ipv6=1",
              "net/ipv6/conf/uplink0/accept_ra=0", "net/ipv4/conf/uplink0/rp_filter=1") < 0 ||
      nn_addr_add(c->side_sk, "uplink0", base + 2, 30, err) < 0 ||
      nn_link_up(c->side_sk, "uplink0", err) < 0 ||
      nn_default_route_add(c->side_sk, "uplink0", base + 1, err) < 0)
    return berr_wrap(err, "sidecar uplink");
  nn_step();
  char subnet[24], ip[16];
  nn_ip_str(base, ip);
  snprintf(subnet, sizeof(subnet), "%s/30", ip);
  int lock = nn_pool_lock(c->state_dir, err);
  if (lock < 0)
    return -1;
  rc = nn_upstream_forwarding(c->state_dir, c->host, err);
  if (rc == 0)
    rc = nn_host_rules(c->rec.hash, t->uplink_host_ifname, subnet, t->inbound, err);
  nn_pool_unlock(lock);
  return rc;
}

static int begin(struct ctx *c, struct nn_cidr link_pool, bottle_error_t *err)
{
  const struct netns_spec *s = c->spec;
  struct nn_record *r = &c->rec;
  struct netns_topology *t = &r->topo;
  if ((c->host = nn_rtnl_open(-1, err)) == NULL)
    return -1;
  if (s->mode == NETNS_MODE_UPLINK) {
    nn_step();
    const char *pool = s->uplink_pool ? s->uplink_pool : NETNS_DEFAULT_UPLINK_POOL;
    if (nn_lease_take(c->state_dir, pool, s->name, c->host, &r->lease, err) < 0)
      return -1;
    r->lease_held = true;
    nn_ip_str(r->lease.addr + 1, t->uplink_host_ip);
    nn_ip_str(r->lease.addr + 2, t->uplink_sidecar_ip);
  }
  nn_step();
  if (save(c, err) < 0)
    return -1;
  if (build_agent(c, err) < 0 || open_sidecar(c, err) < 0)
    return -1;
  return pick_addresses(c, link_pool, err);
}

/* Opens again what begin opened, in this process (finish may run in a child). The sidecar
 * netns must still be the one begin recorded. */
static int reopen(struct ctx *c, bottle_error_t *err)
{
  const struct netns_topology *t = &c->rec.topo;
  if ((c->host = nn_rtnl_open(-1, err)) == NULL ||
      (c->agent_fd = nn_netns_open(t->agent_netns, err)) < 0 ||
      (c->side_fd = nn_netns_open(t->sidecar_netns, err)) < 0)
    return -1;
  struct stat st;
  if (fstat(c->side_fd, &st) < 0)
    return berr(err, errno, "stat %s", t->sidecar_netns);
  if (st.st_dev != c->rec.sidecar_dev || st.st_ino != c->rec.sidecar_ino)
    return berr(err, ESTALE, "sidecar netns %s: no longer the one the build began in",
                t->sidecar_netns);
  return (c->side_sk = nn_rtnl_open(c->side_fd, err)) ? 0 : -1;
}

static int finish(struct ctx *c, bottle_error_t *err)
{
  if (reopen(c, err) < 0 || build_link(c, err) < 0)
    return -1;
  if (c->rec.mode == NETNS_MODE_UPLINK && build_uplink(c, err) < 0)
    return -1;
  if (c->rec.topo.inbound) {
    nn_step();
    if (inbound_forwarding(c, err) < 0)
      return -1;
  }
  c->rec.complete = true;
  return save(c, err);
}

static void ctx_close(struct ctx *c)
{
  nn_rtnl_close(c->host);
  nn_rtnl_close(c->agent_sk);
  nn_rtnl_close(c->side_sk);
  if (c->agent_fd >= 0)
    close(c->agent_fd);
  if (c->side_fd >= 0)
    close(c->side_fd);
}

int netns_build_begin(const struct netns_spec *spec, struct netns_topology *out,
                      bottle_error_t *err)
{
  struct nn_cidr link_pool;
  if (check_spec(spec, &link_pool, err) < 0)
    return -1;
  /* Both, before anything is made: finish needs libnftables, and a network half made without it
   * could not be torn down either. */
  if (nn_lib_load(NN_LIB_NL, err) < 0 || nn_lib_load(NN_LIB_NFT, err) < 0)
    return berr_wrap(err, "netns %s", spec->name);
  nn_fault_injection_arm();
  struct ctx c = {
      .spec = spec, .state_dir = nn_state_dir(spec->state_dir), .agent_fd = -1, .side_fd = -1};
  if (mkdir_private(c.state_dir, err) < 0)
    return -1;
  char path[PATH_MAX];
  nn_record_path(c.state_dir, spec->name, path, sizeof(path));
  if (access(path, F_OK) == 0)
    return berr(err, EEXIST, "netns for '%s': already built (tear it down first)", spec->name);
  if (spec->mode == NETNS_MODE_ENGINE) {
    int fd = nn_netns_open(spec->engine_netns, err);
    if (fd < 0)
      return berr_wrap(err, "engine_netns");
    close(fd);
  }

  struct nn_record *r = &c.rec;
  struct netns_topology *t = &r->topo;
  snprintf(r->name, sizeof(r->name), "%s", spec->name);
  nn_hash(spec->name, r->hash);
  r->mode = spec->mode;
  r->builder_pid = getpid();
  r->builder_start = nn_proc_start_time(r->builder_pid);
  r->proxy_port = spec->proxy_port;
  t->inbound = spec->inbound;
  t->proxyless = spec->proxyless;
  r->sidecar_owned = spec->mode != NETNS_MODE_ENGINE;
  const char *run = spec->run_dir ? spec->run_dir : NETNS_DEFAULT_RUN_DIR;
  snprintf(t->agent_netns, sizeof(t->agent_netns), "%s/%s-a", run, spec->name);
  if (r->sidecar_owned)
    snprintf(t->sidecar_netns, sizeof(t->sidecar_netns), "%s/%s-s", run, spec->name);
  else
    snprintf(t->sidecar_netns, sizeof(t->sidecar_netns), "%s", spec->engine_netns);
  snprintf(t->agent_ifname, sizeof(t->agent_ifname), "eth0");
  snprintf(t->sidecar_ifname, sizeof(t->sidecar_ifname), "btla%s", r->hash);
  if (spec->mode == NETNS_MODE_UPLINK)
    snprintf(t->uplink_host_ifname, sizeof(t->uplink_host_ifname), "btlh%s", r->hash);

  int rc = begin(&c, link_pool, err);
  ctx_close(&c);
  if (rc < 0) {
    berr_wrap(err, "netns %s", spec->name);
    bottle_error_t ignored = {0};
    /* Nothing on disk when the record was never written: the lease is all there is. */
    if (access(path, F_OK) == 0)
      nn_teardown_record(c.state_dir, r, NULL, &ignored);
    else if (r->lease_held)
      nn_lease_release(c.state_dir, r->lease, r->name, &ignored);
    return -1;
  }
  *out = *t;
  return 0;
}

int netns_build_finish(const struct netns_spec *spec, bottle_error_t *err)
{
  if (nn_check_name(spec->name, err) < 0)
    return -1;
  if (nn_lib_load(NN_LIB_NL, err) < 0 || nn_lib_load(NN_LIB_NFT, err) < 0)
    return berr_wrap(err, "netns %s", spec->name);
  struct ctx c = {
      .spec = spec, .state_dir = nn_state_dir(spec->state_dir), .agent_fd = -1, .side_fd = -1};
  if (nn_record_read(c.state_dir, spec->name, &c.rec, err) < 0)
    return berr_wrap(err, "netns %s", spec->name);
  if (c.rec.complete)
    return berr(err, EEXIST, "netns for '%s': already built (tear it down first)", spec->name);
  /* This process builds from here on: gc and teardown watch it (teardown.c). */
  c.rec.builder_pid = getpid();
  c.rec.builder_start = nn_proc_start_time(c.rec.builder_pid);
  int rc = save(&c, err) < 0 ? -1 : finish(&c, err);
  ctx_close(&c);
  if (rc < 0) {
    berr_wrap(err, "netns %s", spec->name);
    bottle_error_t ignored = {0};
    nn_teardown_record(c.state_dir, &c.rec, NULL, &ignored);
    return -1;
  }
  return 0;
}

int netns_build(const struct netns_spec *spec, struct netns_topology *out, bottle_error_t *err)
{
  if (netns_build_begin(spec, out, err) < 0)
    return -1;
  return netns_build_finish(spec, err);
}

/* netns: the network topology that makes a bottle's proxy the agent's only way out.
 *
 * For one bottled container, netns_build() creates:
 *
 *   agent netns (new, bind-mounted at <run_dir>/<name>-a)
 *     lo up; "eth0" = one veth end with <agent_ip>/30; no other route; IPv6 disabled on
 *     all/default/lo/eth0 and accept_ra=0, so the only reachable address is <sidecar_ip>.
 *   sidecar netns
 *     NETNS_MODE_ENGINE: the netns the engine gave the container (Docker's, a CNI netns);
 *       the sidecar keeps its upstream and DNS. The agent /30 is the first one of link_pool
 *       that overlaps no address or route in that netns (else the build fails).
 *     NETNS_MODE_BARE: a new netns at <run_dir>/<name>-s that the engine configures between
 *       netns_build_begin and netns_build_finish (Docker's prestart hook, run against a
 *       process in it); finish fails if the engine's addresses or routes overlap the /30
 *       begin chose.
 *     NETNS_MODE_UPLINK: a new netns at <run_dir>/<name>-s, linked to the host (the netns
 *       of the calling thread) by a veth "btlh<hash>" (host end) / "uplink0" with a /30
 *       leased from uplink_pool under a lock; default route via the host end; on the host:
 *       net.ipv4.conf.btlh<hash>.forwarding=1; in table "ip bottle" a masquerade rule for
 *       the /30 and a forward rule that lets only replies (ct established/related) toward
 *       btlh<hash>; and, when the host has an iptables-nft "ip filter" FORWARD chain
 *       (dockerd sets its policy to DROP), plain accept rules for that link in DOCKER-USER
 *       (or FORWARD without DOCKER-USER), in a form iptables can read back. Replies come in
 *       through the host's upstream interface, and IPv4 forwards by the input interface's
 *       flag: while any uplink lease exists, the interfaces of the host's default routes get
 *       conf.<if>.forwarding=1 if they had 0 (never the global ip_forward), recorded in
 *       <state_dir>/forwarding and put back when the last lease is released.
 *     In every mode the sidecar end is "btla<hash>" with <sidecar_ip>/30, IPv6 off on it,
 *     arp_ignore=1 on it, and the netns gets forwarding off (v4 and v6, conf.all), accept_ra=0,
 *     rp_filter=1, icmp_ratelimit=0 (every reject reaches the agent) and an nft table of this
 *     bottle's own, "inet bottle_<hash>" (several bottles may share an engine's netns: each
 *     build and teardown touches its own table only), whose prerouting chain, from
 *     btla<hash>, accepts only TCP to <sidecar_ip>:<port> and rejects everything else (TCP
 *     reset for the sidecar's other ports, ICMP admin-prohibited otherwise, so clients fail
 *     at once rather than time out), and a forward chain with policy drop that leaves other
 *     bottles' links (btla*) to their own tables. Own sidecar netns also get lo up.
 *     spec->inbound: new TCP (a SYN) that arrives on any other link than lo and btla* (the
 *     engine side: eth0 of Docker or a CNI, uplink0), for an address of the netns and a port
 *     other than the proxy's, is DNAT'ed to <agent_ip> with its source rewritten to
 *     <sidecar_ip> (replies need no route in the agent netns); the forward chain accepts that
 *     toward btla<hash> and, from btla<hash>, only the replies of such connections; the
 *     prerouting chain lets those replies in; IPv4 forwarding goes on for btla<hash> and the
 *     engine-side links only (conf.<if>.forwarding; ip_forward and conf.all stay 0). UDP and
 *     IPv6 are not forwarded. UPLINK: the host accepts the replies of its own connections
 *     from btlh<hash>. Where several bottles share a netns, the one built last that is still
 *     there takes the inbound connections (its NAT chain runs first and maps them).
 *     spec->proxyless.on: from btla<hash>, UDP and TCP to <sidecar_ip>:53 and TCP to each of
 *     proxyless.ports there are accepted too and DNAT'ed to <sidecar_ip>:dns_port and
 *     :redirect_port, where bottle's resolver and redirector listen (unprivileged ports: the
 *     sidecar has no CAP_NET_BIND_SERVICE; the redirector reads the port the agent dialled
 *     from conntrack). Nothing else changes: the agent still has no route.
 *
 * Teardown removes what was created. Links mostly go with their netns: a veth pair is freed
 * by the kernel with the netns holding one of its ends (the agent's, or an own sidecar
 * netns), asynchronously, once that netns is unmounted and its last process (the agent, the
 * sidecar) and socket have gone. Our ends in netns that stay (the host's btlh<hash>, the
 * btla<hash> of an ENGINE netns) are set down at once and deleted by netns_teardown_finish,
 * since an orphaned TCP connection can keep a netns for minutes after its last process
 * (the btla<hash> of a BARE netns is only set down: that netns is ours, and goes once the
 * engine lets go of it). In a netns the engine holds (ENGINE, BARE) the bottle's own
 * "inet bottle_<hash>" table is removed, no other; the sysctls above stay as set (that
 * netns belongs to the container and goes with it). A build reusing a name waits (up to 5 s)
 * for the old link of that name to be gone. The netns
 * bind mounts are plain MS_BIND mounts: a mount namespace created while they exist holds a
 * copy (containers drop theirs with pivot_root and the detach of the old root).
 *
 * The agent /30 is the same for every bottle (each pair is private); only the uplink pool
 * is allocated. Every object is written to <state_dir>/<name>.rec before it is created,
 * so netns_teardown() is idempotent from any partial state and netns_gc() removes what a
 * crashed build left behind. Nothing here execs a program: links, addresses and routes
 * go through libnl-route-3, namespaces through unshare/setns, rules through libnftables.
 *
 * The runtime puts the agent into out->agent_netns and the sidecar into
 * out->sidecar_netns (OCI linux.namespaces[].path); the proxy listens on
 * out->sidecar_ip:proxy_port.
 *
 * Test hook, in the test build only (BOTTLE_FAULT_INJECTION, set by make SAN=1): env
 * BOTTLE_NETNS_FAIL_AT=N makes the build SIGKILL itself at mutation step N (1-based), to check
 * that teardown/gc clean up after a crash at every step.
 *
 * Functions change the calling thread's netns only for the duration of a call and always
 * return to it (or abort). They need CAP_NET_ADMIN and CAP_SYS_ADMIN (root). The "host" is
 * the netns of the calling thread. err must not be NULL: failures report in bottle's one error
 * value (runtime/lib/error.h, the only header of runtime/ that netns/ uses), first error wins.
 */
#ifndef BOTTLE_NETNS_H
#define BOTTLE_NETNS_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/lib/error.h"

#define NETNS_DEFAULT_RUN_DIR "/run/bottle/netns"
#define NETNS_DEFAULT_STATE_DIR "/run/bottle/netns-state"
#define NETNS_DEFAULT_LINK_POOL "10.213.0.0/24"
#define NETNS_DEFAULT_UPLINK_POOL "10.214.0.0/16"
#define NETNS_NAME_MAX 128

enum netns_mode {
  NETNS_MODE_ENGINE = 1, /* the sidecar joins engine_netns */
  NETNS_MODE_UPLINK = 2, /* bottle creates the sidecar netns and its host uplink */
  NETNS_MODE_BARE = 3,   /* bottle creates the sidecar netns; the engine gives it an upstream */
};

#define NN_MAX_PROXYLESS_PORTS 8
struct netns_proxyless {
  bool on;
  uint16_t ports[NN_MAX_PROXYLESS_PORTS]; /* TCP ports redirected to redirect_port */
  size_t n_ports;
  uint16_t dns_port, redirect_port; /* where the helpers listen on the sidecar's link address */
};

struct netns_spec {
  const char *name;         /* container id: 1..128 of [A-Za-z0-9_.-], not starting with '.' */
  enum netns_mode mode;     /* required */
  const char *engine_netns; /* ENGINE: path of the engine's netns (e.g. /proc/PID/ns/net) */
  /* ENGINE: the identity (st_dev, st_ino) of the namespace the caller judged engine_netns to be;
   * the build refuses a path that names another by the time it opens it. 0, 0: not judged. */
  unsigned long long engine_dev, engine_ino;
  const char *link_pool;   /* IPv4 CIDR (prefix <= 30) for the agent /30; NULL = default */
  const char *uplink_pool; /* UPLINK: IPv4 CIDR (prefix <= 30) of host /30s; NULL = default */
  uint16_t proxy_port;     /* required: the only port the agent may reach */
  bool inbound;            /* TCP from the engine side forwarded to the agent (see above) */
  const char *run_dir;     /* netns bind mounts; NULL = NETNS_DEFAULT_RUN_DIR */
  const char *state_dir;   /* records, leases, lock; NULL = NETNS_DEFAULT_STATE_DIR */
  /* the agent's DNS and redirected ports (see above) */
  struct netns_proxyless proxyless;
};

struct netns_topology {
  char agent_netns[PATH_MAX];   /* bind mount of the agent netns */
  char sidecar_netns[PATH_MAX]; /* ENGINE: spec->engine_netns; UPLINK: our bind mount */
  char agent_ip[16];            /* dotted quad on the agent's eth0 */
  char sidecar_ip[16];          /* dotted quad the proxy listens on */
  int prefix;                   /* 30 */
  char agent_ifname[IFNAMSIZ];  /* "eth0" */
  char sidecar_ifname[IFNAMSIZ];
  char uplink_host_ifname[IFNAMSIZ]; /* UPLINK only, else "" */
  char uplink_host_ip[16];           /* UPLINK only: the sidecar's default gateway */
  char uplink_sidecar_ip[16];        /* UPLINK only */
  bool inbound;                      /* as the spec asked */
  struct netns_proxyless proxyless;  /* as the spec asked */
};

/* Builds the topology for spec->name. On failure everything created so far is torn down
 * and -1 is returned with err set; on success 0 and *out filled. Fails with EEXIST when a
 * record for the name exists (tear it down first). */
int netns_build(const struct netns_spec *spec, struct netns_topology *out, bottle_error_t *err);

/* netns_build in two halves, for a caller with work of its own to do meanwhile (the finish
 * may run in another process). begin takes the lease, creates both netns (their paths can be
 * joined once it returns) and chooses every address: *out is complete. finish adds the
 * links, addresses, routes and rules. Each tears down everything on failure, as netns_build. */
int netns_build_begin(const struct netns_spec *spec, struct netns_topology *out,
                      bottle_error_t *err);
int netns_build_finish(const struct netns_spec *spec, bottle_error_t *err);

/* Removes everything recorded for name (state_dir NULL = default). Idempotent: 0 when
 * nothing is left, including when nothing was ever built. */
int netns_teardown(const char *state_dir, const char *name, bottle_error_t *err);

/* Our link ends in netns that stay, which a teardown has set down but not deleted. */
struct netns_leftover {
  int host_ifindex;    /* UPLINK: btlh<hash> in the host netns; 0: none */
  int sidecar_ifindex; /* ENGINE: btla<hash> in sidecar_netns; 0: none */
  char sidecar_netns[PATH_MAX];
  unsigned long long sidecar_dev, sidecar_ino; /* that netns's identity */
};

/* netns_teardown in two halves, for a caller that reports before the second (which may
 * wait out an RCU barrier, 15-30 ms). begin removes everything but the links left in
 * *left, which are down; from then on nothing passes through them and the name may be
 * rebuilt. finish deletes those that are still there, by index, in the same host netns:
 * usually the kernel has freed them with their netns, but a netns holding orphaned TCP
 * connections outlives its last process and mount, for minutes. */
int netns_teardown_begin(const char *state_dir, const char *name, struct netns_leftover *left,
                         bottle_error_t *err);
void netns_teardown_finish(const struct netns_leftover *left);

/* Checks that the agent netns holds lo and t->agent_ifname only, so that the sidecar is its
 * only way out even after code of the container's own (its hooks) ran with root on the host:
 * EPERM naming any other link. *eth_ifindex: the index agent_ifname must have (0: any); set
 * to the one found, for a later check to compare. */
int netns_check_agent(const struct netns_topology *t, int *eth_ifindex, bottle_error_t *err);

/* The start gate's checks (runtime/bottle/start_gate.c): read back from the kernel, from inside
 * each netns, that the topology still makes the proxy the agent's only way out. -1 with EPERM and
 * a message that begins with the invariant that does not hold:
 *   "agent links"        the agent netns holds lo and t->agent_ifname only (netns_check_agent)
 *   "agent routes"       its only unicast route is its link's own connected route (no gateway,
 *                        no default, none in another table; local, broadcast and unreachable
 *                        routes lead nowhere)
 *   "agent IPv6"         disable_ipv6=1 on all, default and agent_ifname; no IPv6 address
 *   "sidecar forwarding" forwarding off in the sidecar netns (ip_forward, IPv4 conf.all,
 *                        IPv6 conf.all) and, without inbound, conf.<sidecar_ifname> too
 *   "sidecar filter"     the sidecar netns's table "inet bottle_<hash>" lists exactly as the
 *                        build wrote it for proxy_port and t->inbound: only TCP to
 *                        sidecar_ip:proxy_port from the link (and the replies of inbound
 *                        connections), a forward chain with policy drop
 * Other errnos: a netns or the kernel could not be read. */
int netns_check_boundary(const struct netns_topology *t, unsigned proxy_port, bottle_error_t *err);

/* libnl-route-3 and libnftables are loaded with dlopen when first needed, not linked, so that a
 * plain container never maps them (netns/optional_libs.c). The checks above call into both:
 * this loads them, -1 with the loader's own message when one is missing. Builds and teardowns
 * load what they need themselves, and fail the same way. */
int netns_load_libraries(bottle_error_t *err);

/* Bypass telemetry: packets from the agent's link that the bottle's filter refused below the
 * proxy, per kind: TCP or UDP to a port but DNS's (other than the proxy's), DNS (TCP or UDP to
 * 53), ICMP, any other protocol. Read from the bottle's counters in its sidecar netns (root). */
enum { NETNS_BYPASS_KINDS = 5 };
extern const char *const netns_bypass_kinds[NETNS_BYPASS_KINDS]; /* "tcp", "udp", "dns", ... */
int netns_bypass_counts(const struct netns_topology *t,
                        unsigned long long counts[NETNS_BYPASS_KINDS], bottle_error_t *err);

/* Reads back the topology of a completed build. ENOENT when there is none. */
int netns_load(const char *state_dir, const char *name, struct netns_topology *out,
               bottle_error_t *err);

/* Says whether a completed topology is still owned by a live container. */
typedef int (*netns_in_use_fn)(const char *name, void *data);

/* Tears down every unfinished build whose builder process is gone, every completed one for
 * which in_use returns 0 (all completed ones are kept when in_use is NULL), and leases
 * without a record. Returns the number of topologies removed, or -1. */
int netns_gc(const char *state_dir, netns_in_use_fn in_use, void *data, bottle_error_t *err);

#endif

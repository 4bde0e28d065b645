/* Shared between the files of netns/; not part of the public API. */
#ifndef BOTTLE_NETNS_INTERNAL_H
#define BOTTLE_NETNS_INTERNAL_H

#include "netns/netns.h"

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

struct nl_sock;

/* optional_libs.c: libnl-route-3 (NN_LIB_NL) and libnftables (NN_LIB_NFT), dlopen()ed on first
 * use with every symbol netns/ calls resolved at once; -1 with the loader's own message (dlerror)
 * when the library or one of those symbols is missing. A function of netns/ loads a library
 * before it first calls into it: a call into one not loaded aborts if the load fails. */
enum nn_lib { NN_LIB_NL, NN_LIB_NFT };
int nn_lib_load(enum nn_lib lib, bottle_error_t *err);
/* For tests: dlopen file (NULL: the soname again) for lib's next load; nothing once loaded. */
void nn_lib_use_file(enum nn_lib lib, const char *file);

/* names.c */
#define NN_HASH_LEN 10
int nn_check_name(const char *name, bottle_error_t *err);
void nn_hash(const char *name, char out[NN_HASH_LEN + 1]);
/* state_dir, or NETNS_DEFAULT_STATE_DIR when it is NULL */
const char *nn_state_dir(const char *state_dir);

/* cidr.c: IPv4 in host byte order */
struct nn_cidr {
  uint32_t addr;
  int prefix;
};
int nn_cidr_parse(const char *s, struct nn_cidr *out);
bool nn_cidr_overlap(struct nn_cidr a, struct nn_cidr b);
void nn_ip_str(uint32_t addr, char out[16]);
/* The i-th /30 of pool, false when there is none. */
bool nn_cidr_slot(struct nn_cidr pool, uint32_t i, struct nn_cidr *out);

/* nsfile.c */
int nn_netns_create(const char *path, bottle_error_t *err);
int nn_netns_remove(const char *path, bottle_error_t *err);
int nn_netns_open(const char *path, bottle_error_t *err);
/* Moves the calling thread into nsfd; returns a fd of where it was, or -1. */
int nn_enter(int nsfd, bottle_error_t *err);
/* Returns to saved (closing it); aborts when that fails. */
void nn_leave(int saved);

/* rtnl.c: a socket opened in netns nsfd (-1 = the current one) */
struct nl_sock *nn_rtnl_open(int nsfd, bottle_error_t *err);
void nn_rtnl_close(struct nl_sock *sk);
int nn_veth_create(struct nl_sock *sk, const char *name, int ns, const char *peer, int peer_ns,
                   bottle_error_t *err);
int nn_link_up(struct nl_sock *sk, const char *name, bottle_error_t *err);
/* Tolerates a link that is gone (*ifindex = 0); else *ifindex names the link it set down. */
int nn_link_down(struct nl_sock *sk, const char *name, int *ifindex, bottle_error_t *err);
/* By index, not name: a build of the same name may have made a new link meanwhile. Tolerates
 * a link that is gone. */
int nn_link_delete(struct nl_sock *sk, int ifindex, bottle_error_t *err);
int nn_addr_add(struct nl_sock *sk, const char *ifname, uint32_t ip, int prefix,
                bottle_error_t *err);
int nn_default_route_add(struct nl_sock *sk, const char *ifname, uint32_t gw, bottle_error_t *err);
/* Names of the devices of the IPv4 default routes of the main table; returns how many. */
int nn_default_route_devs(struct nl_sock *sk, char (*devs)[IFNAMSIZ], int max, bottle_error_t *err);
/* Whether c overlaps an IPv4 address or non-default route of the socket's netns. */
int nn_subnet_in_use(struct nl_sock *sk, struct nn_cidr c, bool *used, bottle_error_t *err);

/* sysctl.c: in the calling thread's netns */
int nn_sysctl_set(const char *key, const char *value, bottle_error_t *err);

/* firewall.c */
/* The bottle's own table "inet bottle_<hash>" in the sidecar netns (netns.h). */
void nn_sidecar_table(const struct netns_topology *t, unsigned port, const char *hash, char *out,
                      size_t len);
int nn_sidecar_rules(int nsfd, const char *hash, const struct netns_topology *t, unsigned port,
                     bottle_error_t *err);
int nn_sidecar_rules_remove(int nsfd, const char *hash, bottle_error_t *err);
/* With t->proxyless.on, the agent_in accepts and the proxyless DNAT chain of the bottle's table,
 * in the form nft lists them back (one rule a line, no indentation); else both empty. */
void nn_proxyless_rules(const struct netns_topology *t, char *accepts, size_t alen, char *chain,
                        size_t clen);
/* The bypass counters of the bottle's table and the rules that count into them on link i, in
 * the text nft lists back (firewall.c writes them, check.c compares them). */
void nn_bypass_objects(char *out, size_t len);
void nn_bypass_rules(char *out, size_t len, const char *i);
int nn_host_rules(const char *hash, const char *ifname, const char *subnet, bool inbound,
                  bottle_error_t *err);
int nn_host_rules_remove(const char *hash, bottle_error_t *err);

/* pool.c: uplink /30 leases under <state_dir>/uplink.lock */
int nn_lease_take(const char *state_dir, const char *pool, const char *name, struct nl_sock *host,
                  struct nn_cidr *out, bottle_error_t *err);
int nn_lease_release(const char *state_dir, struct nn_cidr lease, const char *name,
                     bottle_error_t *err);
int nn_lease_gc(const char *state_dir, bottle_error_t *err);
/* For a build that crashed between taking its lease and writing its record. */
int nn_lease_drop_owner(const char *state_dir, const char *name, bottle_error_t *err);
int nn_pool_lock(const char *state_dir, bottle_error_t *err);
int nn_upstream_forwarding(const char *state_dir, struct nl_sock *host, bottle_error_t *err);
void nn_upstream_forwarding_restore(const char *state_dir);
void nn_pool_unlock(int fd);

/* record.c */
struct nn_record {
  char name[NETNS_NAME_MAX + 1];
  char hash[NN_HASH_LEN + 1];
  int mode;
  long builder_pid;
  unsigned long long builder_start;
  bool complete;
  bool sidecar_owned;
  bool lease_held;
  struct nn_cidr lease;
  unsigned proxy_port;
  unsigned long long sidecar_dev, sidecar_ino; /* identity of the sidecar netns */
  struct netns_topology topo;
};
int nn_record_path(const char *state_dir, const char *name, char *out, size_t len);
int nn_record_write(const char *state_dir, const struct nn_record *rec, bottle_error_t *err);
int nn_record_read(const char *state_dir, const char *name, struct nn_record *rec,
                   bottle_error_t *err);
int nn_record_remove(const char *state_dir, const char *name, bottle_error_t *err);
unsigned long long nn_proc_start_time(long pid);
/* Whether process pid, started at start, still runs (a zombie does not). */
bool nn_proc_running(long pid, unsigned long long start);

/* teardown.c */
int nn_teardown_record(const char *state_dir, const struct nn_record *rec,
                       struct netns_leftover *left, bottle_error_t *err);

#endif

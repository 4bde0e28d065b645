#include "netns/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Each removal tolerates "already gone", so teardown can run from any partial state and
 * again after a failure. The first error is reported; the rest still run, each with e
 * cleared for it. */

static void keep_first(int rc, bottle_error_t *first, bool *failed, bottle_error_t *e)
{
  if (rc < 0) {
    berr_pass(first, e);
    *failed = true;
  }
  berr_clear(e);
}

/* Opens the recorded sidecar netns only if it is still the same namespace: an engine path
 * like /proc/PID/ns/net may name another process's netns once PID is reused. */
static int open_same_netns(const char *path, unsigned long long dev, unsigned long long ino)
{
  if (path[0] == '\0' || ino == 0)
    return -1;
  int fd = nn_netns_open(path, NULL);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_dev != dev || st.st_ino != ino) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Links are not deleted during the teardown proper: a veth pair goes when the netns holding
 * one of its ends is freed, which the kernel does by itself once the netns is unmounted and
 * its last process has exited, while a deletion waits out an RCU grace period (rcu_barrier,
 * 15-30 ms). Our ends in netns that stay (the host's uplink end, the sidecar end in an
 * engine's netns) are set down at once, so nothing passes through them, and left in *left
 * for netns_teardown_finish: a netns can outlive its last process and mount by minutes
 * when it holds orphaned TCP connections (the sidecar's upstream ones, cut by the stop and
 * waiting for a FIN that cannot come once the uplink is down). left NULL: finish at once. */
int nn_teardown_record(const char *state_dir, const struct nn_record *rec,
                       struct netns_leftover *left, bottle_error_t *err)
{
  const struct netns_topology *t = &rec->topo;
  bottle_error_t e = {0};
  bool failed = false;
  struct netns_leftover here = {0};
  struct netns_leftover *out = left != NULL ? left : &here;
  *out = (struct netns_leftover){0};
  /* Without them the links and rules cannot go: the record stays, for a teardown once they
   * load. */
  if (nn_lib_load(NN_LIB_NL, err) < 0 || nn_lib_load(NN_LIB_NFT, err) < 0)
    return -1;

  if (rec->mode == NETNS_MODE_UPLINK) {
    struct nl_sock *host = nn_rtnl_open(-1, &e);
    keep_first(host ? 0 : -1, err, &failed, &e);
    if (host && t->uplink_host_ifname[0])
      keep_first(nn_link_down(host, t->uplink_host_ifname, &out->host_ifindex, &e), err, &failed,
                 &e);
    nn_rtnl_close(host);
    int lock = nn_pool_lock(state_dir, &e);
    keep_first(lock, err, &failed, &e);
    if (lock >= 0) {
      keep_first(nn_host_rules_remove(rec->hash, &e), err, &failed, &e);
      nn_pool_unlock(lock);
    }
  }

  if (!rec->sidecar_owned || rec->mode == NETNS_MODE_BARE) {
    /* A netns the engine holds outlives the bottle: our link in it goes down now, our table
     * goes (by its name: another bottle's in the same netns stays). */
    int side = open_same_netns(t->sidecar_netns, rec->sidecar_dev, rec->sidecar_ino);
    if (side >= 0) {
      struct nl_sock *sk = nn_rtnl_open(side, &e);
      keep_first(sk ? 0 : -1, err, &failed, &e);
      if (sk)
        keep_first(nn_link_down(sk, t->sidecar_ifname, &out->sidecar_ifindex, &e), err, &failed,
                   &e);
      nn_rtnl_close(sk);
      keep_first(nn_sidecar_rules_remove(side, rec->hash, &e), err, &failed, &e);
      close(side);
      /* A BARE netns is ours: it goes, with the link, once the engine lets go of it too. */
      if (rec->mode == NETNS_MODE_BARE)
        out->sidecar_ifindex = 0;
      if (out->sidecar_ifindex > 0) {
        snprintf(out->sidecar_netns, sizeof(out->sidecar_netns), "%s", t->sidecar_netns);
        out->sidecar_dev = rec->sidecar_dev;
        out->sidecar_ino = rec->sidecar_ino;
      }
    }
  }
  if (rec->sidecar_owned)
    keep_first(nn_netns_remove(t->sidecar_netns, &e), err, &failed, &e);
  keep_first(nn_netns_remove(t->agent_netns, &e), err, &failed, &e);

  if (rec->lease_held)
    keep_first(nn_lease_release(state_dir, rec->lease, rec->name, &e), err, &failed, &e);
  if (left == NULL)
    netns_teardown_finish(out);
  if (failed)
    return -1;
  return nn_record_remove(state_dir, rec->name, err);
}

void netns_teardown_finish(const struct netns_leftover *left)
{
  bottle_error_t e = {0};
  /* Left down by the teardown's first half, which loaded libnl: without it nothing is left. */
  if ((left->host_ifindex > 0 || left->sidecar_ifindex > 0) && nn_lib_load(NN_LIB_NL, &e) < 0)
    return;
  if (left->host_ifindex > 0) {
    struct nl_sock *host = nn_rtnl_open(-1, &e);
    if (host != NULL)
      nn_link_delete(host, left->host_ifindex, &e);
    nn_rtnl_close(host);
  }
  if (left->sidecar_ifindex > 0) {
    int side = open_same_netns(left->sidecar_netns, left->sidecar_dev, left->sidecar_ino);
    struct nl_sock *sk = side >= 0 ? nn_rtnl_open(side, &e) : NULL;
    if (sk != NULL)
      nn_link_delete(sk, left->sidecar_ifindex, &e);
    nn_rtnl_close(sk);
    if (side >= 0)
      close(side);
  }
}

static bool builder_alive(const struct nn_record *rec)
{
  return nn_proc_running(rec->builder_pid, rec->builder_start);
}

/* An unfinished build's last steps may run in a child of the process that began it
 * (netns_build_finish); when that process is killed its child dies with it, and the teardown
 * waits (up to 2 s) until it has, so that no step of the build lands after the teardown. */
static void wait_for_builder(const struct nn_record *rec)
{
  if (rec->complete || rec->builder_pid == getpid())
    return;
  for (int i = 0; i < 1000 && builder_alive(rec); i++)
    usleep(2000);
}

int netns_teardown_begin(const char *state_dir, const char *name, struct netns_leftover *left,
                         bottle_error_t *err)
{
  *left = (struct netns_leftover){0};
  if (nn_check_name(name, err) < 0)
    return -1;
  state_dir = nn_state_dir(state_dir);
  struct nn_record rec;
  if (nn_record_read(state_dir, name, &rec, err) < 0) {
    if (err->errnum != ENOENT)
      return berr_wrap(err, "teardown %s", name);
    berr_clear(err);
    /* a build killed before its first record was in place: a lease, a replacement record */
    if (nn_lease_drop_owner(state_dir, name, err) < 0 || nn_record_remove(state_dir, name, err) < 0)
      return berr_wrap(err, "teardown %s", name);
    return 0;
  }
  wait_for_builder(&rec);
  if (nn_teardown_record(state_dir, &rec, left, err) < 0)
    return berr_wrap(err, "teardown %s", name);
  return 0;
}

int netns_teardown(const char *state_dir, const char *name, bottle_error_t *err)
{
  struct netns_leftover left;
  int rc = netns_teardown_begin(state_dir, name, &left, err);
  netns_teardown_finish(&left);
  return rc;
}

int netns_load(const char *state_dir, const char *name, struct netns_topology *out,
               bottle_error_t *err)
{
  if (nn_check_name(name, err) < 0)
    return -1;
  struct nn_record rec;
  if (nn_record_read(nn_state_dir(state_dir), name, &rec, err) < 0)
    return -1;
  if (!rec.complete)
    return berr(err, ENOENT, "netns %s: build never completed", name);
  *out = rec.topo;
  return 0;
}

int netns_gc(const char *state_dir, netns_in_use_fn in_use, void *data, bottle_error_t *err)
{
  state_dir = nn_state_dir(state_dir);
  DIR *d = opendir(state_dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : berr(err, errno, "gc: open %s", state_dir);
  int removed = 0, rc = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    size_t len = strlen(ent->d_name);
    if (len > 8 && strcmp(ent->d_name + len - 8, ".rec.tmp") == 0) {
      /* A record being replaced; stale once its writer has had ample time. */
      char tmp[PATH_MAX + 256];
      struct stat st;
      snprintf(tmp, sizeof(tmp), "%s/%s", state_dir, ent->d_name);
      if (stat(tmp, &st) == 0 && st.st_mtime + 60 < time(NULL))
        unlink(tmp);
      continue;
    }
    if (len <= 4 || strcmp(ent->d_name + len - 4, ".rec") != 0)
      continue;
    char name[NETNS_NAME_MAX + 1];
    if (len - 4 > NETNS_NAME_MAX)
      continue;
    snprintf(name, sizeof(name), "%.*s", (int)(len - 4), ent->d_name);
    struct nn_record rec;
    bottle_error_t e = {0};
    if (nn_record_read(state_dir, name, &rec, &e) < 0)
      continue;
    bool stale = rec.complete ? (in_use != NULL && !in_use(name, data)) : !builder_alive(&rec);
    if (!stale)
      continue;
    if (nn_teardown_record(state_dir, &rec, NULL, &e) < 0) {
      rc = berr_pass(err, &e);
      continue;
    }
    removed++;
  }
  closedir(d);
  bottle_error_t e = {0};
  if (nn_lease_gc(state_dir, &e) < 0)
    rc = berr_pass(err, &e);
  return rc < 0 ? berr_wrap(err, "gc") : removed;
}

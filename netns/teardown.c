#include "netns/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Each removal tolerates "already gone", so teardown can run from any partial state and
 * again after a failure. The first error is reported; the rest still run. */

static void keep_first(int rc, struct nn_error *first, bool *failed, const struct nn_error *e)
{
  if (rc < 0 && !*failed) {
    *first = *e;
    *failed = true;
  }
}

/* Opens the recorded sidecar netns only if it is still the same namespace: an engine path
 * like /proc/PID/ns/net may name another process's netns once PID is reused. */
static int open_same_sidecar(const struct nn_record *rec)
{
  if (rec->topo.sidecar_netns[0] == '\0' || rec->sidecar_ino == 0)
    return -1;
  int fd = nn_netns_open(rec->topo.sidecar_netns, NULL);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_dev != rec->sidecar_dev || st.st_ino != rec->sidecar_ino) {
    close(fd);
    return -1;
  }
  return fd;
}

struct host_rules_job {
  const char *state_dir;
  const char *hash;
  int lock_rc, rc;
  struct nn_error err;
};

static void *host_rules_remove_job(void *arg)
{
  struct host_rules_job *j = arg;
  j->lock_rc = nn_pool_lock(j->state_dir, &j->err);
  if (j->lock_rc >= 0) {
    j->rc = nn_host_rules_remove(j->hash, &j->err);
    nn_pool_unlock(j->lock_rc);
  }
  return NULL;
}

struct sidecar_rules_job {
  int nsfd;
  int rc;
  struct nn_error err;
};

static void *sidecar_rules_remove_job(void *arg)
{
  struct sidecar_rules_job *j = arg;
  j->rc = nn_sidecar_rules_remove(j->nsfd, &j->err);
  return NULL;
}

int nn_teardown_record(const char *state_dir, const struct nn_record *rec, struct nn_error *err)
{
  const struct netns_topology *t = &rec->topo;
  struct nn_error e = {0};
  bool failed = false;
  struct nl_sock *host = nn_rtnl_open(-1, &e);
  keep_first(host ? 0 : -1, err, &failed, &e);

  if (rec->mode == NETNS_MODE_UPLINK) {
    /* The rules' nftables commit and the link deletion each wait out an RCU grace period
     * (the commit's when its socket closes); side by side they wait once. The rules match
     * the link by name, so neither depends on the other. */
    struct host_rules_job job = {.state_dir = state_dir, .hash = rec->hash};
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, host_rules_remove_job, &job) == 0;
    if (!threaded)
      host_rules_remove_job(&job);
    struct nn_error le = {0};
    int link_rc = 0;
    if (host && t->uplink_host_ifname[0])
      link_rc = nn_link_delete(host, t->uplink_host_ifname, &le);
    if (threaded)
      pthread_join(th, NULL);
    if (job.lock_rc < 0)
      keep_first(-1, err, &failed, &job.err);
    else
      keep_first(job.rc, err, &failed, &job.err);
    keep_first(link_rc, err, &failed, &le);
  }

  /* In an engine's netns, which outlives the bottle, our link and table are removed one by
   * one; deleting the sidecar end removes the agent's eth0 with it. Netns of our own are
   * just unmounted: the kernel frees them, links and rules included, once no process is
   * left inside, which spares a netlink round trip and an RCU grace period per object. */
  if (!rec->sidecar_owned) {
    int side = open_same_sidecar(rec);
    if (side >= 0) {
      /* As on the host: the link's grace period and the table's run side by side (the
       * thread enters the netns by itself; the table matches the link by name). */
      struct sidecar_rules_job job = {.nsfd = side};
      pthread_t th;
      bool threaded = pthread_create(&th, NULL, sidecar_rules_remove_job, &job) == 0;
      if (!threaded)
        sidecar_rules_remove_job(&job);
      struct nl_sock *sk = nn_rtnl_open(side, &e);
      keep_first(sk ? 0 : -1, err, &failed, &e);
      struct nn_error le = {0};
      int link_rc = 0;
      if (sk) {
        link_rc = nn_link_delete(sk, t->sidecar_ifname, &le);
        nn_rtnl_close(sk);
      }
      if (threaded)
        pthread_join(th, NULL);
      keep_first(link_rc, err, &failed, &le);
      keep_first(job.rc, err, &failed, &job.err);
      close(side);
    }
  } else {
    keep_first(nn_netns_remove(t->sidecar_netns, &e), err, &failed, &e);
  }
  keep_first(nn_netns_remove(t->agent_netns, &e), err, &failed, &e);

  if (rec->lease_held)
    keep_first(nn_lease_release(state_dir, rec->lease, rec->name, &e), err, &failed, &e);
  nn_rtnl_close(host);
  if (failed)
    return -1;
  return nn_record_remove(state_dir, rec->name, err);
}

int netns_teardown(const char *state_dir, const char *name, struct nn_error *err)
{
  if (nn_check_name(name, err) < 0)
    return -1;
  state_dir = nn_state_dir(state_dir);
  struct nn_record rec;
  if (nn_record_read(state_dir, name, &rec, err) < 0) {
    if (err->errnum != ENOENT)
      return nn_wrap(err, "teardown %s", name);
    return nn_lease_drop_owner(state_dir, name, err) < 0 ? nn_wrap(err, "teardown %s", name) : 0;
  }
  if (nn_teardown_record(state_dir, &rec, err) < 0)
    return nn_wrap(err, "teardown %s", name);
  return 0;
}

int netns_load(const char *state_dir, const char *name, struct netns_topology *out,
               struct nn_error *err)
{
  if (nn_check_name(name, err) < 0)
    return -1;
  struct nn_record rec;
  if (nn_record_read(nn_state_dir(state_dir), name, &rec, err) < 0)
    return -1;
  if (!rec.complete)
    return nn_fail(err, ENOENT, "netns %s: build never completed", name);
  *out = rec.topo;
  return 0;
}

static bool builder_alive(const struct nn_record *rec)
{
  return rec->builder_pid > 0 && rec->builder_start != 0 &&
         nn_proc_start_time(rec->builder_pid) == rec->builder_start;
}

int netns_gc(const char *state_dir, netns_in_use_fn in_use, void *data, struct nn_error *err)
{
  state_dir = nn_state_dir(state_dir);
  DIR *d = opendir(state_dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : nn_fail(err, errno, "gc: open %s", state_dir);
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
    struct nn_error e;
    if (nn_record_read(state_dir, name, &rec, &e) < 0)
      continue;
    bool stale = rec.complete ? (in_use != NULL && !in_use(name, data)) : !builder_alive(&rec);
    if (!stale)
      continue;
    if (nn_teardown_record(state_dir, &rec, &e) < 0) {
      if (rc == 0)
        *err = e;
      rc = -1;
      continue;
    }
    removed++;
  }
  closedir(d);
  struct nn_error e;
  if (nn_lease_gc(state_dir, &e) < 0 && rc == 0) {
    *err = e;
    rc = -1;
  }
  return rc < 0 ? nn_wrap(err, "gc") : removed;
}

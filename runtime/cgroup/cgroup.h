/* cgroups for one container on v1, v2 and hybrid hosts (cgroupfs driver).
 * Owned by runtime/cgroup*.c. Resources are OCI `linux.resources` objects
 * (cJSON), with runc's rule that a zero/absent value means "leave unset". */
#ifndef BOTTLE_CGROUP_H
#define BOTTLE_CGROUP_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

struct cgroup; /* opaque: resolved paths per controller (v1) or the unified path (v2) */

/* Resolves `linux.cgroupsPath` (absolute, relative, or empty → /bottle/<id>;
 * with systemd=true the slice:prefix:name form, which fails clearly when only
 * systemd could do it), creates the directories and applies `resources`.
 * Device rules: deny all, the spec's rules in order, then runc's default allow
 * list (incl. /dev/pts and /dev/ptmx), also when `resources` is NULL, as runc.
 * On pure v2 they become an eBPF device program; on hybrid hosts the v1
 * devices controller is used and the unified tree is joined best effort. */
int cgroup_create(const char *id, const char *cgroups_path, bool systemd, const cJSON *resources,
                  struct cgroup **out, bottle_error_t *err);
/* cgroupsPath lexically cleaned as create reads it: absolute ("/" + in for a relative one), no
 * "." or ".." part, no doubled "/", never above "/" (Go's filepath.Clean). malloc'd, or NULL. */
char *cgroup_path_clean(const char *in);
/* Moves pid into every controller of the container's cgroup. */
int cgroup_enter(const struct cgroup *cg, pid_t pid, bottle_error_t *err);
/* exec --cgroup (runc 1.1+): each of subs is "[ctrl[,ctrl]:]path", a cgroup below the
 * container's that must exist; a hierarchy takes the entry naming one of its controllers,
 * else the entry naming none, else the container's own. A path with ".." is refused. */
int cgroup_enter_sub(const struct cgroup *cg, pid_t pid, const char *const *subs, size_t n,
                     bottle_error_t *err);
/* Applies an OCI LinuxResources object again (bottle update); zero means unset. */
int cgroup_update(const struct cgroup *cg, const cJSON *resources, bottle_error_t *err);
int cgroup_freeze(const struct cgroup *cg, bool frozen, bottle_error_t *err);
bool cgroup_is_frozen(const struct cgroup *cg);
/* Host pids of every process in the container's cgroup, sorted; *n gets the count. */
int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, bottle_error_t *err);
/* Sends sig to every process in the cgroup (kill --all, delete --force). */
int cgroup_signal_all(const struct cgroup *cg, int sig, bottle_error_t *err);
/* runc `events --stats` shaped object ({"cpu":..., "memory":..., "pids":..., "blkio":...}). */
cJSON *cgroup_stats(const struct cgroup *cg, bottle_error_t *err);
/* How many processes the kernel's OOM killer has killed in the cgroup so far
 * (v1 memory.oom_control "oom_kill", v2 memory.events "oom_kill"); a client
 * of `events` reports {"type":"oom"} when it grows. 0 when not available. */
int cgroup_oom_kills(const struct cgroup *cg, unsigned long long *count, bottle_error_t *err);
/* Removes the directories (waits briefly for the last processes to leave). Idempotent. */
int cgroup_destroy(struct cgroup *cg, bottle_error_t *err);
void cgroup_free(struct cgroup *cg);

/* cgroup.procs of the runtime's own cgroup in one mounted hierarchy, or NULL. */
char *cgroup_own_procs_file(void);

/* Moving a process into a cgroup takes the kernel's cgroup_threadgroup_rwsem for writing, and
 * the first writer after a quiet spell waits out an RCU grace period (5-30 ms) first; writers
 * that follow within about a grace period do not wait. cgroup_warm_start starts a thread that
 * moves the runtime into the cgroup it is already in (changing nothing) so that this wait
 * runs alongside the caller's other work instead of in front of the next container's init;
 * cgroup_warm_finish joins it; the caller runs no cgroup code in between. Best effort: without a
 * cgroup to write, nothing happens. */
struct cgroup_warm {
  bool started;
  pthread_t thread;
  char *procs; /* the thread's cgroup.procs, owned until cgroup_warm_finish */
};
void cgroup_warm_start(struct cgroup_warm *w);
void cgroup_warm_finish(struct cgroup_warm *w);

/* Persisted in the container's state file so later verbs (delete --force
 * arrives without --systemd-cgroup) find the same cgroup. */
cJSON *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(const cJSON *j, struct cgroup **out, bottle_error_t *err);

#endif

/* The joiner (joiner.c): a process started in a container's namespaces without ever being
 * visible there with the host's root, cwd or fds. exec uses it, and create when its pid
 * namespace is joined by path. */
#ifndef BOTTLE_JOINER_H
#define BOTTLE_JOINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "runtime/lib/error.h"

/* Namespaces to enter, in order: ipc, uts, net, cgroup, mnt, pid, then user
 * last, so that namespaces owned by another user namespace are still ours to
 * join. */
struct ns_joins {
  int fds[8], types[8], n;
};

/* Opens (CLOEXEC, at min_fd or above) each namespace of pid that differs from
 * ours; pidns_fd >= 0 stands for the pid namespace instead of pid's own. */
int ns_joins_open(pid_t pid, int pidns_fd, int min_fd, struct ns_joins *j, bottle_error_t *err);
void ns_joins_close(struct ns_joins *j);

#define JOINER_MAX_KEEP 4

/* A process to start in a container's namespaces without it ever being
 * visible there with the host's root, cwd or fds. */
struct joiner {
  int dirfd;        /* closed in the joiner (the state dir's flock), or -1 */
  int first_closed; /* fds from here up are closed but keep[] */
  int keep[JOINER_MAX_KEEP];
  size_t nkeep;
  const struct ns_joins *ns;
  int sync;               /* the child end: the joiner reports on it */
  void (*run)(void *arg); /* runs in the new process; must not return */
  void *arg;
};

/* Forks a joiner outside the container's pid namespace that enters jn->ns
 * and clones (CLONE_PARENT) the process that runs jn->run. Returns that
 * process's pid (our child) once the joiner has exited, or -1 with the
 * joiner's own error. The caller still holds jn->sync (closes it after). */
pid_t joiner_spawn(const struct joiner *jn, int sync_parent, bottle_error_t *err);

/* Reports err (or "exec failed") on sync and exits 1: for the joiner and the process it starts,
 * whose memory err lives in. */
_Noreturn void joiner_child_fail(int sync, bottle_error_t *err);

#endif

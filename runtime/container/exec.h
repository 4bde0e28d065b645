/* `exec`: a new process in a running container (§4.4). A short-lived joiner,
 * never visible inside the container, joins every namespace (mount included)
 * and clones the process into the container's pid namespace with
 * CLONE_PARENT: the process is the caller's direct child (reparented to its
 * subreaper) and nothing in the container can see it before it has the
 * container's root, cwd and mounts (issue 9, item 1). */
#ifndef BOTTLE_EXEC_H
#define BOTTLE_EXEC_H

#include <stdbool.h>
#include <cJSON.h>
#include "runtime/lib/error.h"
#include "runtime/container/state.h"

struct exec_opts {
  const cJSON *process; /* complete OCI process object */
  bool detach;
  const char *pid_file;       /* absolute or NULL */
  const char *console_socket; /* absolute or NULL */
  bool has_console_peer;      /* foreground exec -t: a connected socket instead */
  int console_peer;
  int console_ours; /* our end: the pty master arrives here */
  int preserve_fds;
  bool ignore_paused;
};

/* Detached: returns 0 once the process has exec'd. Foreground: *exit_code
 * gets its exit status. Errors are the "unable to start container process"
 * kind (exit 255 in the verb). */
int container_exec(struct container *c, const struct exec_opts *o, int *exit_code,
                   bottle_error_t *err);

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

#endif

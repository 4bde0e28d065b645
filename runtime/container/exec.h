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
#include "runtime/container/container.h"

struct exec_opts {
  const cJSON *process; /* complete OCI process object */
  bool detach;
  const char *pid_file;       /* absolute or NULL */
  const char *console_socket; /* absolute or NULL */
  const char *pidfd_socket;   /* absolute or NULL: the process's pidfd is sent there */
  bool has_console_peer;      /* foreground exec -t: a connected socket instead */
  int console_peer;
  int console_ours; /* our end: the pty master arrives here */
  int preserve_fds;
  bool ignore_paused;
  const char *const *cgroup_subs; /* exec --cgroup values, n_cgroup_subs of them */
  size_t n_cgroup_subs;
};

/* Detached: returns 0 once the process has exec'd. Foreground: *exit_code
 * gets its exit status. Errors are the "unable to start container process"
 * kind (exit 255 in the verb). */
int container_exec(struct container *c, const struct exec_opts *o, int *exit_code,
                   bottle_error_t *err);

#endif

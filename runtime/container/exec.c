#include "runtime/container/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"
#include "runtime/container/console.h"
#include "runtime/container/container.h"
#include "runtime/container/joiner.h"
#include "runtime/lib/log.h"
#include "runtime/container/process.h"
#include "runtime/security/security.h"
#include "runtime/container/sync.h"
#include "runtime/lib/util.h"
#include "runtime/container/waitloop.h"

/* What the exec'd process needs besides stdio and the preserved fds. */
struct exec_child {
  const struct exec_opts *o;
  struct seccomp_filter *filter;
  bool terminal;
  int first_closed, sync, console_fd;
};

/* The process in the container: born in its pid namespace with its root, cwd
 * and mounts already, and holding no host fd but the ones passed on purpose. */
static void exec_final(void *arg)
{
  const struct exec_child *x = arg;
  bottle_error_t cerr = {0};
  enum sync_type t;
  /* The parent moves us into the cgroup first. */
  if (sync_recv(x->sync, &t, NULL) < 0 || t != SYNC_GO)
    _exit(1);
  const cJSON *user = cJSON_GetObjectItemCaseSensitive(x->o->process, "user");
  if (x->terminal) {
    if (console_setup(x->console_fd, x->o->process, false, (uid_t)json_int(user, "uid", 0), &cerr) <
        0)
      joiner_child_fail(x->sync, &cerr);
  }
  if (process_set_rlimits(x->o->process, &cerr) < 0)
    joiner_child_fail(x->sync, &cerr);
  struct process_setup ps = {
      .process = x->o->process, .seccomp = x->filter, .first_closed_fd = x->first_closed};
  if (process_finalize(&ps, &cerr) < 0)
    joiner_child_fail(x->sync, &cerr);
  process_exec(&ps, &cerr);
  joiner_child_fail(x->sync, &cerr);
}

/* The requests exec refuses before it opens anything. */
static int exec_check(struct container *c, const struct exec_opts *o, bottle_error_t *err)
{
  enum status s = container_status(c);
  if (s == STATUS_STOPPED)
    return berr(err, 0, "cannot exec in a stopped container");
  if (s == STATUS_PAUSED && !o->ignore_paused)
    return berr(err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
  bool terminal = json_bool(o->process, "terminal", false);
  bool have_console = o->console_socket != NULL || o->has_console_peer;
  if (terminal && !have_console)
    return berr(err, 0, "cannot allocate tty if bottle will detach without setting console socket");
  if (!terminal && have_console)
    return berr(err, 0, "cannot use console socket if bottle will not detach or allocate tty");
  return process_check_preserved_fds(o->preserve_fds, err);
}

/* The container's seccomp filter (and egress hardening) for the new process. */
static int exec_seccomp(const struct container *c, struct seccomp_filter **filter,
                        bottle_error_t *err)
{
  /* The same cache as create (<root>/.seccomp-cache): docker exec sends the container's
   * profile again, and compiling it costs libseccomp ~10 ms. */
  cleanup_free char *root = xstrdup(c->dir);
  char *slash = strrchr(root, '/');
  if (slash != NULL)
    *slash = '\0';
  cleanup_free char *seccomp_cache = xasprintf("%s/.seccomp-cache", root);
  if (seccomp_compile_cached(json_path(c->config, "linux.seccomp"), seccomp_cache, filter, err) < 0)
    return -1;
  if (c->egress_hardening && seccomp_add_egress_hardening(filter, err) < 0) {
    seccomp_filter_free(*filter);
    *filter = NULL;
    return -1;
  }
  return 0;
}

/* The console socket (or the foreground run's peer) and the sync socket pair, at min_fd or
 * above, clear of the fds the process keeps. */
static int exec_channels(const struct exec_opts *o, int min_fd, int *console_fd, int sync_pair[2],
                         bottle_error_t *err)
{
  if (o->has_console_peer) {
    *console_fd = fcntl(o->console_peer, F_DUPFD_CLOEXEC, min_fd);
    if (*console_fd < 0)
      return berr(err, errno, "dup console socket");
  } else if (o->console_socket) {
    int fd = console_connect(o->console_socket, err);
    if (fd < 0)
      return -1;
    *console_fd = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
    close(fd);
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync_pair) < 0)
    return berr(err, errno, "socketpair");
  for (int i = 0; i < 2; i++) {
    int hi = fcntl(sync_pair[i], F_DUPFD_CLOEXEC, min_fd);
    close(sync_pair[i]);
    sync_pair[i] = hi;
  }
  return 0;
}

/* The parent's half once the process exists: it joins the cgroup and gets the container's
 * oom score before its GO; then we wait until it has called execve (EOF on the CLOEXEC socket)
 * or reported why not. */
static int exec_release(struct container *c, const struct exec_opts *o, pid_t pid, int sync,
                        bottle_error_t *err)
{
  if (c->cgroup != NULL &&
      cgroup_enter_sub(c->cgroup, pid, o->cgroup_subs, o->n_cgroup_subs, err) < 0)
    return -1;
  {
    /* As before: the container's score, best effort (the process inherits ours otherwise). */
    bottle_error_t ignored = {0};
    if (process_set_oom_score(pid, json_path(c->config, "process"), &ignored) < 0)
      berr_clear(&ignored);
  }
  sync_send(sync, SYNC_GO, NULL);
  enum sync_type t;
  cleanup_free char *text = NULL;
  if (sync_recv(sync, &t, &text) < 0)
    return berr(err, errno, "read from exec process");
  if (t == SYNC_ERROR)
    return berr(err, 0, "%s", text ? text : "exec failed");
  log_msg(LOG_DEBUG, "exec %s: process %d started", c->id, (int)pid);
  return 0;
}

int container_exec(struct container *c, const struct exec_opts *o, int *exit_code,
                   bottle_error_t *err)
{
  if (exec_check(c, o, err) < 0)
    return -1;
  struct seccomp_filter *filter = NULL;
  if (exec_seccomp(c, &filter, err) < 0)
    return -1;

  int first_closed = 3 + process_listen_fds() + o->preserve_fds;
  int internal_min = first_closed + 16;
  struct ns_joins ns = {.n = 0};
  int sync_pair[2] = {-1, -1}, console_fd = -1;
  pid_t pid = -1;
  int rc = -1;

  if (ns_joins_open(c->pid, -1, internal_min, &ns, err) < 0)
    goto out;
  /* The container may have died between the status check and the opens. */
  if (!container_init_alive(c)) {
    berr(err, 0, "cannot exec in a stopped container");
    goto out;
  }
  if (exec_channels(o, internal_min, &console_fd, sync_pair, err) < 0)
    goto out;
  if (!o->detach)
    waitloop_block_signals();
  struct exec_child x = {.o = o,
                         .filter = filter,
                         .terminal = json_bool(o->process, "terminal", false),
                         .first_closed = first_closed,
                         .sync = sync_pair[1],
                         .console_fd = console_fd};
  struct joiner jn = {.dirfd = c->dirfd,
                      .first_closed = first_closed,
                      .keep = {sync_pair[1], console_fd},
                      .nkeep = 2,
                      .ns = &ns,
                      .sync = sync_pair[1],
                      .run = exec_final,
                      .arg = &x};
  pid = joiner_spawn(&jn, sync_pair[0], err);
  close(sync_pair[1]);
  sync_pair[1] = -1;
  if (console_fd >= 0) {
    close(console_fd);
    console_fd = -1;
  }
  if (pid < 0 || exec_release(c, o, pid, sync_pair[0], err) < 0)
    goto out;
  if (o->pidfd_socket && pidfd_send_to_socket(o->pidfd_socket, pid, "setns", err) < 0) {
    kill(pid, SIGKILL);
    goto out;
  }
  if (o->pid_file && write_pid_file(o->pid_file, pid, err) < 0) {
    kill(pid, SIGKILL);
    goto out;
  }
  if (o->detach) {
    pid = -1; /* belongs to the caller now */
    rc = 0;
    goto out;
  }
  *exit_code = o->has_console_peer ? waitloop_run_tty(pid, o->console_ours) : waitloop_run(pid);
  pid = -1;
  rc = 0;
out:
  if (rc < 0 && pid > 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  for (int i = 0; i < 2; i++)
    if (sync_pair[i] >= 0)
      close(sync_pair[i]);
  if (console_fd >= 0)
    close(console_fd);
  ns_joins_close(&ns);
  seccomp_filter_free(filter);
  return rc;
}

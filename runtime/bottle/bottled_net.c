#include "runtime/bottle/bottled_net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/container/hooks.h"

/* The child writes its result (its bottle_error_t, unset on success, up to the message's end)
 * in one write once its work is done, then exits; the parent reads that, not the exit status, and
 * does not wait for the exit. An exit closes the child's nftables sockets, and closing one after a
 * commit that deleted rules waits for the kernel's cleanup of that commit, an RCU grace period
 * (10-25 ms) nobody needs to wait for. A child still exiting when the parent is done is reaped by
 * whoever inherits it. */

int netns_child_start(struct netns_child *c, netns_child_fn fn, netns_child_then_fn then,
                      const void *arg)
{
  *c = (struct netns_child)NETNS_CHILD_NONE;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    close(p[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(1);
    /* Off the caller's stdio: an engine's shim reads the runtime's stdout and stderr until
     * every writer has closed them, and this child may outlive the runtime by its exit. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
      _exit(1);
    close(null);
    bottle_error_t ne = {0};
    int r = fn(arg, &ne);
    if (r < 0 && !ne.set)
      berr(&ne, EIO, "failed without a message");
    else if (r == 0)
      berr_clear(&ne);
    /* less than PIPE_BUF: the parent reads all of it or, if we die first, nothing */
    _Static_assert(sizeof(ne) <= PIPE_BUF, "an error crosses the pipe in one write");
    (void)!write(p[1], &ne, offsetof(bottle_error_t, msg) + strlen(ne.msg));
    close(p[1]);
    if (then != NULL) {
      /* reported: from here the work is the child's own, and outlives the caller */
      prctl(PR_SET_PDEATHSIG, 0);
      then(arg);
    }
    _exit(r < 0 ? 1 : 0);
  }
  close(p[1]);
  c->pid = pid;
  c->rfd = p[0];
  return 0;
}

int netns_child_result(struct netns_child *c, bottle_error_t *err)
{
  if (c->pid <= 0)
    return 0;
  bottle_error_t ne = {0};
  ssize_t n;
  while ((n = read(c->rfd, &ne, sizeof(ne) - 1)) < 0 && errno == EINTR)
    ;
  close(c->rfd);
  waitpid(c->pid, NULL, WNOHANG);
  *c = (struct netns_child)NETNS_CHILD_NONE;
  if (n < (ssize_t)offsetof(bottle_error_t, msg))
    return berr(err, 0, "network: its process died before it finished");
  if (!ne.set)
    return 0;
  berr_wrap(&ne, "network");
  return berr_pass(err, &ne);
}

void netns_child_settle(struct netns_child *c)
{
  netns_child_result(c, NULL);
}

static int job_fail(bottle_error_t *err, int errnum, const char *what)
{
  return berr(err, errnum, "engine hook: %s", what);
}

int engine_hooks_run(const void *arg, bottle_error_t *err)
{
  const struct engine_hooks_job *job = arg;
  int nsfd = open(job->netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return job_fail(err, errno, "open the sidecar netns");
  /* ready: the holder is in the netns; hold: it stays until this end closes */
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) < 0) {
    close(nsfd);
    return job_fail(err, errno, "pipe");
  }
  if (pipe2(hold, O_CLOEXEC) < 0) {
    int e = errno;
    close(nsfd);
    close(ready[0]);
    close(ready[1]);
    return job_fail(err, e, "pipe");
  }
  pid_t parent = getpid();
  pid_t holder = fork();
  if (holder == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The hooks are handed this process as "the container": one that enters its mount
     * namespace (a device hook does) finds a private copy that goes with it, not the host's. */
    if (getppid() != parent || setns(nsfd, CLONE_NEWNET) < 0 || unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
      _exit(1);
    close(hold[1]);
    (void)!write(ready[1], "", 1);
    char c;
    while (read(hold[0], &c, 1) < 0 && errno == EINTR)
      ;
    _exit(0);
  }
  close(nsfd);
  close(ready[1]);
  close(hold[0]);
  int rc = 0;
  char c;
  ssize_t n;
  while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
    ;
  close(ready[0]);
  if (holder < 0 || n != 1) {
    rc = job_fail(err, holder < 0 ? errno : 0, "no process could join the sidecar netns");
  } else {
    cleanup_free char *state =
        hooks_state_json(job->config, job->id, "created", (int)holder, job->bundle);
    rc = hooks_run(job->config, "prestart", state, err) < 0 ? -1 : 0;
  }
  /* The holder goes when this end closes; its exit (dropping its mount namespace takes a
   * few ms) is not waited for, like this process's own (see the top of the file). */
  close(hold[1]);
  return rc;
}

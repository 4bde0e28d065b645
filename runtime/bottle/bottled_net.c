#include "runtime/bottle/bottled_net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/container/hooks.h"

/* The child writes its result (an int errno, 0 on success, then the message) in one write
 * once its work is done, then exits; the parent reads that, not the exit status, and does
 * not wait for the exit. An exit closes the child's nftables sockets, and closing one after
 * a commit that deleted rules waits for the kernel's cleanup of that commit, an RCU grace
 * period (10-25 ms) nobody needs to wait for. A child still exiting when the parent is done
 * is reaped by whoever inherits it. */

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
    struct nn_error ne = {0};
    int r = fn(arg, &ne);
    int e = r < 0 ? (ne.errnum ? ne.errnum : EIO) : 0;
    char msg[sizeof(int) + sizeof(ne.msg)];
    memcpy(msg, &e, sizeof(e));
    size_t mlen = r < 0 ? strnlen(ne.msg, sizeof(ne.msg) - 1) : 0;
    memcpy(msg + sizeof(e), ne.msg, mlen);
    /* less than PIPE_BUF: the parent reads all of it or, if we die first, nothing */
    (void)!write(p[1], msg, sizeof(e) + mlen);
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
  char buf[sizeof(int) + sizeof(((struct nn_error *)0)->msg) + 1];
  ssize_t n;
  while ((n = read(c->rfd, buf, sizeof(buf) - 1)) < 0 && errno == EINTR)
    ;
  close(c->rfd);
  waitpid(c->pid, NULL, WNOHANG);
  *c = (struct netns_child)NETNS_CHILD_NONE;
  if (n < (ssize_t)sizeof(int))
    return berr(err, 0, "network: its process died before it finished");
  struct nn_error ne = {0};
  memcpy(&ne.errnum, buf, sizeof(ne.errnum));
  if (ne.errnum == 0)
    return 0;
  memcpy(ne.msg, buf + sizeof(int), (size_t)n - sizeof(int));
  return netns_error(err, &ne);
}

void netns_child_settle(struct netns_child *c)
{
  netns_child_result(c, NULL);
}

int netns_error(bottle_error_t *err, const struct nn_error *ne)
{
  berr(err, 0, "network: %s", ne->msg);
  if (err != NULL && err->set)
    err->errnum = ne->errnum;
  return -1;
}

static int job_fail(struct nn_error *err, int errnum, const char *what)
{
  snprintf(err->msg, sizeof(err->msg), "engine hook: %s%s%s", what, errnum ? ": " : "",
           errnum ? strerror(errnum) : "");
  err->errnum = errnum;
  return -1;
}

int engine_hooks_run(const void *arg, struct nn_error *err)
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
    bottle_error_t e = {0};
    if (hooks_run(job->config, "prestart", state, &e) < 0) {
      snprintf(err->msg, sizeof(err->msg), "%.*s", (int)sizeof(err->msg) - 1, e.msg);
      err->errnum = e.errnum;
      rc = -1;
    }
  }
  /* The holder goes when this end closes; its exit (dropping its mount namespace takes a
   * few ms) is not waited for, like this process's own (see the top of the file). */
  close(hold[1]);
  return rc;
}

#include "runtime/bottled_net.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child writes its result (an int errno, 0 on success, then the message) in one write
 * once its work is done, then exits; the parent reads that, not the exit status, and does
 * not wait for the exit. An exit closes the child's nftables sockets, and closing one after
 * a commit that deleted rules waits for the kernel's cleanup of that commit, an RCU grace
 * period (10-25 ms) nobody needs to wait for. A child still exiting when the parent is done
 * is reaped by whoever inherits it. */

int netns_child_start(struct netns_child *c, netns_child_fn fn, const void *arg)
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
    struct nn_error ne = {0};
    int r = fn(arg, &ne);
    int e = r < 0 ? (ne.errnum ? ne.errnum : EIO) : 0;
    char msg[sizeof(int) + sizeof(ne.msg)];
    memcpy(msg, &e, sizeof(e));
    size_t mlen = r < 0 ? strnlen(ne.msg, sizeof(ne.msg) - 1) : 0;
    memcpy(msg + sizeof(e), ne.msg, mlen);
    /* less than PIPE_BUF: the parent reads all of it or, if we die first, nothing */
    (void)!write(p[1], msg, sizeof(e) + mlen);
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
  if (err != NULL && *err != NULL)
    (*err)->errnum = ne->errnum;
  return -1;
}

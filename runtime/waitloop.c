#include "runtime/waitloop.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static sigset_t forwarded(void)
{
  sigset_t s;
  sigfillset(&s);
  sigdelset(&s, SIGSEGV);
  sigdelset(&s, SIGBUS);
  sigdelset(&s, SIGILL);
  sigdelset(&s, SIGFPE);
  sigdelset(&s, SIGPIPE);
  return s;
}

void waitloop_block_signals(void)
{
  sigset_t s = forwarded();
  sigprocmask(SIG_BLOCK, &s, NULL);
}

static int code_of(int status)
{
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

int waitloop_run(pid_t pid)
{
  sigset_t s = forwarded();
  int sfd = signalfd(-1, &s, SFD_CLOEXEC);
  for (;;) {
    int status;
    pid_t r;
    while ((r = waitpid(-1, &status, WNOHANG)) > 0)
      if (r == pid) {
        if (sfd >= 0)
          close(sfd);
        return code_of(status);
      }
    if (r < 0 && errno == ECHILD) {
      if (sfd >= 0)
        close(sfd);
      return 255;
    }
    if (sfd < 0) {
      if (waitpid(pid, &status, 0) == pid)
        return code_of(status);
      continue;
    }
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof(si));
    if (n != sizeof(si))
      continue;
    if (si.ssi_signo == SIGCHLD || si.ssi_signo == SIGWINCH)
      continue;
    kill(pid, (int)si.ssi_signo);
  }
}

#include "runtime/container/waitloop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/util.h"

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

static void copy_winsize(int from, int to)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0)
    ioctl(to, TIOCSWINSZ, &ws);
}

/* Returns false once the source is finished. */
static bool pump(int from, int to)
{
  char buf[8192];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  write_all(to, buf, (size_t)n);
  return true;
}

int waitloop_run_tty(pid_t pid, int sock)
{
  int master = recv_fd(sock);
  if (master < 0)
    return waitloop_run(pid);
  bool stdin_tty = isatty(STDIN_FILENO);
  struct termios saved;
  if (stdin_tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
    struct termios raw = saved;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    copy_winsize(STDIN_FILENO, master);
  } else {
    stdin_tty = false;
  }
  sigset_t s = forwarded();
  int sfd = signalfd(-1, &s, SFD_CLOEXEC);
  bool in_open = true, out_open = true;
  int code = -1;
  while (code < 0 || out_open) {
    int status;
    pid_t r;
    while (code < 0 && (r = waitpid(-1, &status, WNOHANG)) > 0)
      if (r == pid)
        code = code_of(status);
    struct pollfd p[3] = {{in_open && code < 0 ? STDIN_FILENO : -1, POLLIN, 0},
                          {out_open ? master : -1, POLLIN, 0},
                          {code < 0 ? sfd : -1, POLLIN, 0}};
    /* Once the process is gone, drain what is buffered without blocking. */
    int n = poll(p, 3, code < 0 ? -1 : 50);
    if (n < 0 && errno != EINTR)
      break;
    if (n == 0 && code >= 0)
      break;
    if (p[0].revents && !pump(STDIN_FILENO, master))
      in_open = false;
    if (p[1].revents && !pump(master, STDOUT_FILENO))
      out_open = false;
    if (p[2].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGWINCH && stdin_tty)
          copy_winsize(STDIN_FILENO, master);
        else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH)
          kill(pid, (int)si.ssi_signo);
      }
    }
  }
  if (code < 0) {
    int status;
    code = waitpid(pid, &status, 0) == pid ? code_of(status) : 255;
  }
  if (stdin_tty)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  close(master);
  if (sfd >= 0)
    close(sfd);
  return code;
}

#include "runtime/container/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/rootfs/rootfs.h"
#include "runtime/lib/util.h"

int console_connect(const char *path, bottle_error_t *err)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path))
    return berr(err, ENAMETOOLONG, "console socket %s", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berr(err, errno, "console socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    int e = errno;
    close(fd);
    return berr(err, e, "connect to console socket %s", path);
  }
  return fd;
}

int pidfd_send_to_socket(const char *path, pid_t pid, const char *kind, bottle_error_t *err)
{
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return berr(err, errno, "pidfd_open %d for --pidfd-socket", (int)pid);
  int sock = console_connect(path, err);
  if (sock < 0) {
    close(pidfd);
    return berr_wrap(err, "--pidfd-socket");
  }
  int r = send_fd(sock, pidfd, kind);
  int e = errno;
  close(sock);
  close(pidfd);
  if (r < 0)
    return berr(err, e, "send pidfd over --pidfd-socket %s", path);
  return 0;
}

int console_setup(int sock, const cJSON *process, bool bind_console, uid_t uid, bottle_error_t *err)
{
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) {
    close(sock);
    return berr(err, errno, "open /dev/ptmx");
  }
  int unlock = 0;
  int ptn = -1;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0) {
    int e = errno;
    close(master);
    close(sock);
    return berr(err, e, "unlock pty");
  }
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int e = errno;
    close(master);
    close(sock);
    return berr(err, e, "open pty slave");
  }
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(process, "consoleSize");
  if (cJSON_IsObject(size)) {
    struct winsize ws = {.ws_row = (unsigned short)json_int(size, "height", 0),
                         .ws_col = (unsigned short)json_int(size, "width", 0)};
    ioctl(master, TIOCSWINSZ, &ws);
  }
  int r = send_fd(sock, master, "/dev/ptmx");
  int e = errno;
  close(master);
  close(sock);
  if (r < 0) {
    close(slave);
    return berr(err, e, "send pty master over console socket");
  }
  char slave_path[64];
  snprintf(slave_path, sizeof(slave_path), "/dev/pts/%d", ptn);
  if (fchown(slave, uid, (gid_t)-1) < 0 && errno != EPERM && errno != EINVAL) {
    /* best effort, as runc */
  }
  if (bind_console && rootfs_bind_console(slave_path, err) < 0) {
    close(slave);
    return -1;
  }
  if (getsid(0) != getpid())
    setsid();
  if (ioctl(slave, TIOCSCTTY, 0) < 0) {
    e = errno;
    close(slave);
    return berr(err, e, "set controlling terminal");
  }
  for (int fd = 0; fd < 3; fd++)
    if (dup3(slave, fd, 0) < 0 && slave != fd) {
      e = errno;
      close(slave);
      return berr(err, e, "dup pty slave to fd %d", fd);
    }
  if (slave > 2)
    close(slave);
  return 0;
}

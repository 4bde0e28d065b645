#include "netns/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *dir, bottle_error_t *err)
{
  char buf[PATH_MAX];
  if (strlen(dir) >= sizeof(buf))
    return berr(err, ENAMETOOLONG, "mkdir %s", dir);
  strcpy(buf, dir);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return berr(err, errno, "mkdir %s", buf);
      *p = saved;
      if (saved == '\0')
        return 0;
    }
  }
}

int nn_enter(int nsfd, bottle_error_t *err)
{
  int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved < 0)
    return berr(err, errno, "open /proc/thread-self/ns/net");
  if (setns(nsfd, CLONE_NEWNET) < 0) {
    int e = errno;
    close(saved);
    return berr(err, e, "setns");
  }
  return saved;
}

void nn_leave(int saved)
{
  /* Carrying on in the wrong netns would configure the wrong place: fail closed. */
  if (setns(saved, CLONE_NEWNET) < 0)
    abort();
  close(saved);
}

int nn_netns_open(const char *path, bottle_error_t *err)
{
  /* Non-blocking: the path may come from a bundle, and a FIFO there would stall the open
   * until a writer came; the type check below then refuses it. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return berr(err, errno, "open netns %s", path);
  if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
    close(fd);
    return berr(err, EINVAL, "%s: not a network namespace", path);
  }
  return fd;
}

int nn_netns_create(const char *path, bottle_error_t *err)
{
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    if (mkdir_p(dir, err) < 0)
      return -1;
  }
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return berr(err, errno, "create %s", path);
  close(fd);
  int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved < 0) {
    int e = errno;
    unlink(path);
    return berr(err, e, "open /proc/thread-self/ns/net");
  }
  if (unshare(CLONE_NEWNET) < 0) {
    int e = errno;
    close(saved);
    unlink(path);
    return berr(err, e, "unshare(CLONE_NEWNET)");
  }
  int rc = mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL);
  int e = errno;
  nn_leave(saved);
  if (rc < 0) {
    unlink(path);
    return berr(err, e, "bind-mount netns on %s", path);
  }
  return 0;
}

int nn_netns_remove(const char *path, bottle_error_t *err)
{
  if (path == NULL || path[0] == '\0')
    return 0;
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return berr(err, errno, "unmount %s", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return berr(err, errno, "remove %s", path);
  return 0;
}

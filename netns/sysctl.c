#include "netns/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* key uses '/' separators below /proc/sys, e.g. "net/ipv4/conf/all/forwarding". */
int nn_sysctl_set(const char *key, const char *value, bottle_error_t *err)
{
  char path[256];
  snprintf(path, sizeof(path), "/proc/sys/%s", key);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berr(err, errno, "sysctl %s", key);
  size_t len = strlen(value);
  ssize_t n = write(fd, value, len);
  int e = errno;
  close(fd);
  if (n != (ssize_t)len)
    return berr(err, n < 0 ? e : EIO, "sysctl %s=%s", key, value);
  return 0;
}

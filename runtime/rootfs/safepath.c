#include "runtime/rootfs/safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

/* Symlinks resolve inside the root; procfs magic links (/proc/self/fd/N,
 * /proc/self/root) would jump anywhere, so they are refused outright. */
#define RESOLVE_CONFINED (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
/* For files bottle writes: no symlink at all, not even one that stays inside. */
#define RESOLVE_STRICT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)

/* openat2 returns EAGAIN when a concurrent rename could have let ".." escape;
 * the kernel asks us to retry. */
#define OPENAT2_RETRIES 32

static int openat2_retry(int dirfd, const char *path, int flags, mode_t mode, unsigned resolve)
{
  struct open_how how = {
      .flags = (unsigned long long)(flags | O_CLOEXEC),
      .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
      .resolve = resolve,
  };
  for (int i = 0; i < OPENAT2_RETRIES; i++) {
    int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    if (fd >= 0 || errno != EAGAIN)
      return fd;
  }
  errno = EAGAIN;
  return -1;
}

/* "" and "/" both mean the root itself; openat2 wants a relative name for it. */
static const char *relative(const char *path)
{
  while (*path == '/')
    path++;
  return *path ? path : ".";
}

static int open_in_root(int rootfd, const char *path, int flags, mode_t mode, unsigned resolve,
                        bottle_error_t *err)
{
  int fd = openat2_retry(rootfd, relative(path), flags, mode, resolve);
  if (fd < 0)
    return berr(err, errno, "open %s inside the root", path);
  return fd;
}

int safepath_open(int rootfd, const char *path, int flags, mode_t mode, bottle_error_t *err)
{
  return open_in_root(rootfd, path, flags, mode, RESOLVE_CONFINED, err);
}

/* Max dangling symlinks followed while creating, as the kernel's MAXSYMLINKS. */
#define MAX_DANGLING 40

/* dir/name is a symlink whose target is missing: the path with the link
 * replaced by its target (joined to dir when relative), then rest. */
static char *substitute_link(int parentfd, const char *dir, const char *name, const char *rest)
{
  char target[4096];
  ssize_t n = readlinkat(parentfd, name, target, sizeof(target) - 1);
  if (n < 0)
    return NULL;
  target[n] = '\0';
  return target[0] == '/' ? xasprintf("%s/%s", target, rest)
                          : xasprintf("%s/%s/%s", dir, target, rest);
}

static int mkdirs_resolved(int rootfd, const char *path, mode_t mode, unsigned resolve, int depth,
                           bottle_error_t *err)
{
  cleanup_free char *prefix = strdup(relative(path));
  if (prefix == NULL)
    return berr(err, ENOMEM, "mkdir %s", path);
  size_t len = strlen(prefix);
  int cur = openat2_retry(rootfd, ".", O_PATH | O_DIRECTORY, 0, resolve);
  if (cur < 0)
    return berr(err, errno, "open the root");

  /* Walk prefixes: every one is resolved from the root again, so a symlink
   * met on the way is followed as if the root were "/", never past it. Only
   * the last, plain name is created, relative to its already-resolved parent. */
  size_t start = 0;
  while (start < len) {
    size_t end = start;
    while (end < len && prefix[end] != '/')
      end++;
    if (end == start || (end - start == 1 && prefix[start] == '.')) {
      start = end + 1;
      continue;
    }
    char saved = prefix[end];
    prefix[end] = '\0';
    int next = openat2_retry(rootfd, prefix, O_PATH | O_DIRECTORY, 0, resolve);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(cur, prefix + start, mode) == 0) {
        next = openat2_retry(rootfd, prefix, O_PATH | O_DIRECTORY, 0, resolve);
      } else if (errno != EEXIST) {
        next = -1; /* keeps mkdir's errno: EROFS, EACCES, ... */
      } else if (depth < MAX_DANGLING) {
        /* EEXIST yet ENOENT: a symlink to a missing target. Create the
         * target instead (resolved in the root like everything else). */
        const char *dir = "";
        if (start > 0) {
          prefix[start - 1] = '\0';
          dir = prefix;
        }
        cleanup_free char *again =
            substitute_link(cur, dir, prefix + start, saved ? prefix + end + 1 : "");
        close(cur);
        if (again == NULL)
          return berr(err, errno, "mkdir %s inside the root: readlink", path);
        return mkdirs_resolved(rootfd, again, mode, resolve, depth + 1, err);
      } else {
        errno = ELOOP;
      }
    }
    if (next < 0) {
      int e = errno;
      close(cur);
      return berr(err, e, "mkdir %s inside the root", prefix);
    }
    close(cur);
    cur = next;
    prefix[end] = saved;
    start = end + 1;
  }
  return cur;
}

int safepath_mkdirs(int rootfd, const char *path, mode_t mode, bottle_error_t *err)
{
  return mkdirs_resolved(rootfd, path, mode, RESOLVE_CONFINED, 0, err);
}

int safepath_write_file(int rootfd, const char *path, const void *data, size_t len, mode_t mode,
                        bottle_error_t *err)
{
  const char *rel = relative(path);
  const char *slash = strrchr(rel, '/');
  if (slash != NULL) {
    cleanup_free char *parent = strndup(rel, (size_t)(slash - rel));
    if (parent == NULL)
      return berr(err, ENOMEM, "write %s", path);
    cleanup_close int dirfd = mkdirs_resolved(rootfd, parent, 0755, RESOLVE_STRICT, 0, err);
    if (dirfd < 0)
      return berr_wrap(err, "write %s", path);
  }
  /* O_NONBLOCK: a FIFO planted at the path must not hang us before the
   * S_ISREG check below rejects it. No O_TRUNC until we know it is ours. */
  cleanup_close int fd = openat2_retry(rootfd, rel, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK,
                                       mode & 07777, RESOLVE_STRICT);
  if (fd < 0 && errno == ENXIO) /* a FIFO without a reader */
    return berr(err, 0, "write %s: exists and is not a regular file", path);
  if (fd < 0)
    return berr(err, errno, "write %s inside the root (symlinks are not followed)", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berr(err, errno, "write %s: stat", path);
  if (!S_ISREG(st.st_mode))
    return berr(err, 0, "write %s: exists and is not a regular file", path);
  if (st.st_nlink > 1)
    return berr(err, 0, "write %s: refusing a file with %ju hard links", path,
                (uintmax_t)st.st_nlink);
  if (fcntl(fd, F_SETFL, 0) < 0 || ftruncate(fd, 0) < 0)
    return berr(err, errno, "write %s: truncate", path);
  if (write_all(fd, data, len) < 0)
    return berr(err, errno, "write %s", path);
  if (fchmod(fd, mode & 07777) < 0)
    return berr(err, errno, "write %s: chmod %o", path, (unsigned)(mode & 07777));
  return 0;
}

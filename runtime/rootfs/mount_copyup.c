/* tmpcopyup (podman, crun, runc): a tmpfs that starts with a copy of what
 * the image had at its mount point. The tmpfs is built detached (fsopen/
 * fsmount), filled, and only then attached, so nothing in the container can
 * see or race a half-filled mount. */
#include "runtime/rootfs/mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"

#define COPY_MAX_DEPTH 64

static int copy_file(int srcdir, int dstdir, const char *name, const struct stat *st)
{
  cleanup_close int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return -1;
  cleanup_close int out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                 st->st_mode & 07777);
  if (out < 0)
    return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof(buf))) > 0)
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0)
        return -1;
      off += w;
    }
  return n < 0 ? -1 : 0;
}

static int copy_entry(int srcdir, int dstdir, const char *name, int depth);

static int copy_tree(int srcdir, int dstdir, int depth)
{
  if (depth > COPY_MAX_DEPTH) {
    errno = ELOOP;
    return -1;
  }
  int dupfd = dup(srcdir);
  if (dupfd < 0)
    return -1;
  DIR *d = fdopendir(dupfd);
  if (d == NULL) {
    close(dupfd);
    return -1;
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    rc = copy_entry(srcdir, dstdir, de->d_name, depth);
  }
  closedir(d);
  return rc;
}

static int copy_entry(int srcdir, int dstdir, const char *name, int depth)
{
  struct stat st;
  if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  if (S_ISDIR(st.st_mode)) {
    if (mkdirat(dstdir, name, st.st_mode & 07777) < 0)
      return -1;
    cleanup_close int s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int t = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || t < 0 || copy_tree(s, t, depth + 1) < 0)
      return -1;
  } else if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
    if (n < 0)
      return -1;
    target[n] = '\0';
    if (symlinkat(target, dstdir, name) < 0)
      return -1;
  } else if (S_ISREG(st.st_mode)) {
    if (copy_file(srcdir, dstdir, name, &st) < 0)
      return -1;
  } else if (mknodat(dstdir, name, st.st_mode, st.st_rdev) < 0) {
    return -1;
  }
  if (fchownat(dstdir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM &&
      errno != EINVAL)
    return -1;
  if (!S_ISLNK(st.st_mode) && fchmodat(dstdir, name, st.st_mode & 07777, 0) < 0)
    return -1;
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  utimensat(dstdir, name, times, AT_SYMLINK_NOFOLLOW);
  return 0;
}

/* Passes the comma-separated data options to the new superblock. */
static int configure(int fs, const char *data)
{
  if (data == NULL)
    return 0;
  cleanup_free char *copy = strdup(data);
  if (copy == NULL)
    return -1;
  char *save = NULL;
  for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(opt, '=');
    int rc;
    if (eq != NULL) {
      *eq = '\0';
      rc = fsconfig(fs, FSCONFIG_SET_STRING, opt, eq + 1, 0);
    } else {
      rc = fsconfig(fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
    }
    if (rc < 0)
      return -1;
  }
  return 0;
}

int mount_tmpfs_copyup(int targetfd, const struct mount_entry *e, bottle_error_t *err)
{
  cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return berr(err, errno, "tmpcopyup %s: fsopen tmpfs", e->destination);
  if (fsconfig(fs, FSCONFIG_SET_STRING, "source", e->source[0] ? e->source : "tmpfs", 0) < 0 ||
      configure(fs, e->opt.data) < 0)
    return berr(err, errno, "tmpcopyup %s: tmpfs options \"%s\"", e->destination,
                e->opt.data ? e->opt.data : "");
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berr(err, errno, "tmpcopyup %s: create tmpfs", e->destination);
  unsigned long flags = e->opt.flags;
  cleanup_close int mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                                  (unsigned)mount_flags_to_attr(flags & ~(unsigned long)MS_RDONLY));
  if (mnt < 0)
    return berr(err, errno, "tmpcopyup %s: fsmount", e->destination);
  /* The target is an O_PATH fd; reading the directory needs a real one. */
  cleanup_close int src = openat(targetfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dst = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0 || dst < 0 || copy_tree(src, dst, 0) < 0)
    return berr(err, errno, "tmpcopyup %s: copy the image's contents", e->destination);
  struct stat st;
  if (fstat(src, &st) == 0 && (e->opt.data == NULL || strstr(e->opt.data, "mode=") == NULL))
    fchmod(dst, st.st_mode & 07777);
  if (flags & MS_RDONLY) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
      return berr(err, errno, "tmpcopyup %s: make read-only", e->destination);
  }
  if (move_mount(mnt, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berr(err, errno, "tmpcopyup %s: attach", e->destination);
  return 0;
}

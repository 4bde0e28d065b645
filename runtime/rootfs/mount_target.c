/* Where a mount lands and how it is attached, for every mount type (mount.c, mount_cgroup.c,
 * devices.c): the target opened or created inside the root, a check of where it really is
 * (inside the rootfs, not under /proc), bind mounts with only the named flags changed, and
 * propagation. */
#include "runtime/rootfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/rootfs/safepath.h"

const char *mount_fd_path(char *buf, int fd)
{
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

static char *parent_of(const char *path)
{
  char *copy = strdup(path);
  if (copy == NULL)
    return NULL;
  char *slash = strrchr(copy, '/');
  if (slash == NULL)
    strcpy(copy, "/");
  else if (slash == copy)
    slash[1] = '\0';
  else
    *slash = '\0';
  return copy;
}

static int target_at_depth(int rootfd, const char *dest, bool as_file, int depth,
                           bottle_error_t *err)
{
  int fd = safepath_open(rootfd, dest, O_PATH, 0, NULL);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return berr(err, errno, "open mount target %s inside the rootfs", dest);
  if (!as_file)
    return safepath_mkdirs(rootfd, dest, 0755, err);

  cleanup_free char *parent = parent_of(dest);
  if (parent == NULL)
    return berr(err, ENOMEM, "mount target %s", dest);
  cleanup_close int parentfd = safepath_mkdirs(rootfd, parent, 0755, err);
  if (parentfd < 0)
    return -1;
  /* O_CREAT through a final symlink that stays inside the root creates its
   * target there, which is where runc's securejoin would put it too. */
  cleanup_close int created = safepath_open(rootfd, dest, O_CREAT | O_RDONLY, 0755, NULL);
  if (created < 0 && errno == ENOENT && depth < 40) {
    /* A symlink whose target's directory is missing (/etc/resolv.conf ->
     * ../run/systemd/resolve/stub-resolv.conf): create along the link. */
    const char *name = strrchr(dest, '/') + 1;
    char link[PATH_MAX];
    ssize_t n = readlinkat(parentfd, name, link, sizeof(link) - 1);
    if (n > 0) {
      link[n] = '\0';
      cleanup_free char *next = xasprintf("%s/%s", link[0] == '/' ? "" : parent, link);
      return target_at_depth(rootfd, next, as_file, depth + 1, err);
    }
    errno = ENOENT;
  }
  if (created < 0)
    return berr(err, errno, "create mount target %s inside the rootfs", dest);
  return safepath_open(rootfd, dest, O_PATH, 0, err);
}

int mount_target(int rootfd, const char *dest, bool as_file, bottle_error_t *err)
{
  return target_at_depth(rootfd, dest, as_file, 0, err);
}

int mount_set_propagation(int fd, const struct mount_options *opt, const char *what,
                          bottle_error_t *err)
{
  for (size_t i = 0; i < opt->n_propagation; i++) {
    unsigned long p = opt->propagation[i];
    struct mount_attr attr = {.propagation = p & ~(unsigned long)MS_REC};
    unsigned flags = AT_EMPTY_PATH | ((p & MS_REC) ? AT_RECURSIVE : 0);
    if (mount_setattr(fd, "", flags, &attr, sizeof(attr)) < 0)
      return berr(err, errno, "set propagation of %s", what);
  }
  return 0;
}

int mount_set_rec_attrs(int fd, const struct mount_options *opt, const char *what,
                        bottle_error_t *err)
{
  if (opt->rec_attr_set == 0 && opt->rec_attr_clr == 0)
    return 0;
  struct mount_attr attr = {.attr_set = opt->rec_attr_set, .attr_clr = opt->rec_attr_clr};
  if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
    return berr(err, errno, "set recursive mount attributes of %s", what);
  return 0;
}

int mount_bind(const char *source, int source_fd, int targetfd, const struct mount_options *opt,
               const char *what, bottle_error_t *err)
{
  unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (opt->flags & MS_REC)
    tree_flags |= AT_RECURSIVE;
  cleanup_close int tree = source != NULL ? open_tree(AT_FDCWD, source, tree_flags)
                                          : open_tree(source_fd, "", tree_flags | AT_EMPTY_PATH);
  if (tree < 0)
    return berr(err, errno, "bind %s: open source %s", what, source ? source : "(fd)");

  /* Only the flags the entry names change; the source's other flags (which
   * may be locked in a user namespace) stay as they are. Non-recursive, as a
   * runc bind remount is. */
  unsigned long named = opt->flags & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT);
  struct mount_attr attr = {
      .attr_set = mount_flags_to_attr(named),
      .attr_clr = mount_flags_to_attr(opt->cleared),
  };
  if (named & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    attr.attr_clr |= MOUNT_ATTR__ATIME;
  if (attr.attr_set != 0 || attr.attr_clr != 0) {
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
      return berr(err, errno, "bind %s: set mount flags", what);
  }
  if (mount_set_rec_attrs(tree, opt, what, err) < 0)
    return -1;
  if (move_mount(tree, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berr(err, errno, "bind %s onto its target", what);
  if (mount_set_propagation(tree, opt, what, err) < 0)
    return -1;
  return take_fd(tree);
}

/* Mounting over a path under /proc could redirect what the runtime or the
 * container believes are kernel interfaces (CVE-2019-16884 class). As runc:
 * only a procfs at /proc itself, or binds of the few files lxcfs provides. */
int mount_check_proc_destination(const struct mount_entry *e, bottle_error_t *err)
{
  const char *d = e->destination;
  while (d[0] == '/' && d[1] == '/')
    d++;
  if (strncmp(d, "/proc", 5) != 0 || (d[5] != '\0' && d[5] != '/'))
    return 0;
  if (d[5] == '\0' || strcmp(d, "/proc/") == 0) {
    if (strcmp(e->type, "proc") == 0)
      return 0;
    return berr(err, 0, "mounts: %s: only a proc filesystem may be mounted at /proc",
                e->destination);
  }
  static const char *const allowed[] = {
      "/proc/cpuinfo", "/proc/diskstats",
      "/proc/meminfo", "/proc/stat",
      "/proc/swaps",   "/proc/uptime",
      "/proc/loadavg", "/proc/slabinfo",
      "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
  };
  for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
    if (strcmp(d, allowed[i]) == 0)
      return 0;
  return berr(err, 0,
              "mounts: %s: mounting over /proc is not allowed (only /proc itself and lxcfs "
              "files such as /proc/meminfo)",
              e->destination);
}

int mount_check_target(int fd, const char *rootfs, const char *type, const char *dest,
                       bottle_error_t *err)
{
  char path[32], real[PATH_MAX];
  ssize_t n = readlink(mount_fd_path(path, fd), real, sizeof(real) - 1);
  if (n < 0)
    return berr(err, errno, "mounts: %s: resolve the target", dest);
  real[n] = '\0';
  size_t len = strlen(rootfs);
  const char *rel = real;
  if (strcmp(rootfs, "/") != 0) {
    if (strncmp(real, rootfs, len) != 0 || (real[len] != '/' && real[len] != '\0'))
      return berr(err, 0, "mounts: %s resolves to %s, outside the rootfs", dest, real);
    rel = real[len] ? real + len : "/";
  }
  /* The string check again, on where the destination really is: a symlink
   * in the image (/myproc -> /proc) must not smuggle a mount into /proc. */
  struct mount_entry resolved = {.destination = rel, .type = type, .source = ""};
  if (mount_check_proc_destination(&resolved, err) < 0)
    return berr_wrap(err, "%s resolves into /proc", dest);
  return 0;
}

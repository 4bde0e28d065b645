/* One OCI mount entry applied inside the root: binds, kernel filesystems (with SELinux labels
 * and the fallbacks), the "cgroup" type (mount_cgroup.c). Targets and binds: mount_target.c. */
#include "runtime/rootfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/rootfs/safepath.h"

static int apply_bind(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                      bottle_error_t *err)
{
  if (e->source[0] == '\0')
    return berr(err, 0, "mounts: %s: a bind mount needs a \"source\"", e->destination);
  struct stat st;
  if (stat(e->source, &st) < 0)
    return berr(err, errno, "mounts: %s: bind source %s", e->destination, e->source);
  cleanup_close int target = mount_target(rootfd, e->destination, !S_ISDIR(st.st_mode), err);
  if (target < 0)
    return berr_wrap(err, "mounts: %s", e->destination);
  if (mount_check_target(target, o->rootfs, e->type, e->destination, err) < 0)
    return -1;
  cleanup_close int mnt = mount_bind(e->source, -1, target, &e->opt, e->destination, err);
  if (mnt < 0)
    return berr_wrap(err, "mounts");
  return 0;
}

/* Opens the directory a kernel filesystem goes on. proc and sysfs refuse a
 * symlinked destination (CVE-2019-19921: /proc pointing into a volume). */
static int filesystem_target(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                             bottle_error_t *err)
{
  bool strict = strcmp(e->type, "proc") == 0 || strcmp(e->type, "sysfs") == 0;
  if (strict) {
    cleanup_close int link = safepath_open(rootfd, e->destination, O_PATH | O_NOFOLLOW, 0, NULL);
    struct stat st;
    if (link >= 0 && fstat(link, &st) == 0 && !S_ISDIR(st.st_mode))
      return berr(err, 0, "mounts: %s: %s must be mounted on a directory, not a %s", e->destination,
                  e->type, S_ISLNK(st.st_mode) ? "symlink" : "file");
  }
  cleanup_close int fd = mount_target(rootfd, e->destination, false, err);
  if (fd < 0)
    return berr_wrap(err, "mounts: %s", e->destination);
  if (mount_check_target(fd, o->rootfs, e->type, e->destination, err) < 0)
    return -1;
  return take_fd(fd);
}

static int fallback_bind(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                         const char *host_path, bottle_error_t *err)
{
  struct mount_entry bind = *e;
  bind.source = host_path;
  bind.opt.flags |= MS_BIND | MS_REC;
  return apply_bind(rootfd, &bind, o, err);
}

static bool is_dev(const char *dest)
{
  while (dest[0] == '/' && dest[1] == '/')
    dest++;
  return strcmp(dest, "/dev") == 0 || strcmp(dest, "/dev/") == 0;
}

char *mount_label_data(const char *data, const char *label)
{
  if (label == NULL)
    return data ? strdup(data) : NULL;
  return xasprintf("%s%scontext=\"%s\"", data ? data : "", data ? "," : "", label);
}

static int apply_filesystem(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                            bottle_error_t *err)
{
  cleanup_close int target = filesystem_target(rootfd, e, o, err);
  if (target < 0)
    return -1;
  const char *source = e->source[0] ? e->source : e->type;
  unsigned long flags = e->opt.flags & ~(unsigned long)(MS_BIND | MS_REC);
  /* /dev is populated after this; a read-only /dev is made so at the end. */
  if (is_dev(e->destination))
    flags &= ~(unsigned long)MS_RDONLY;
  /* Kernel filesystems without xattr labels take no context= option. */
  bool labelled = strcmp(e->type, "proc") != 0 && strcmp(e->type, "sysfs") != 0;
  cleanup_free char *data = mount_label_data(e->opt.data, labelled ? o->mount_label : NULL);
  if (e->opt.tmpcopyup && strcmp(e->type, "tmpfs") == 0) {
    struct mount_entry copy = *e;
    copy.opt.flags = flags;
    copy.opt.data = data;
    if (mount_tmpfs_copyup(target, &copy, err) < 0)
      return berr_wrap(err, "mounts");
  } else {
    char path[32];
    if (mount(source, mount_fd_path(path, target), e->type, flags, data) < 0) {
      int saved = errno;
      /* Without a network namespace of its own (or in a user namespace that
       * does not own it), sysfs cannot be mounted; runc binds the host's. */
      if (saved == EPERM && strcmp(e->type, "sysfs") == 0)
        return fallback_bind(rootfd, e, o, "/sys", err);
      if (saved == EPERM && strcmp(e->type, "mqueue") == 0 && o->userns)
        return fallback_bind(rootfd, e, o, "/dev/mqueue", err);
      return berr(err, saved, "mounts: mount %s on %s", e->type, e->destination);
    }
  }
  if (e->opt.n_propagation == 0 && e->opt.rec_attr_set == 0 && e->opt.rec_attr_clr == 0)
    return 0;
  /* The fd still names the directory under the new mount; reopening the
   * path lands on the new mount's root. */
  cleanup_close int mnt = safepath_open(rootfd, e->destination, O_PATH | O_DIRECTORY, 0, err);
  if (mnt < 0)
    return berr_wrap(err, "mounts");
  if (mount_set_rec_attrs(mnt, &e->opt, e->destination, err) < 0 ||
      mount_set_propagation(mnt, &e->opt, e->destination, err) < 0)
    return berr_wrap(err, "mounts");
  return 0;
}

int mount_entry_apply(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                      bottle_error_t *err)
{
  if (mount_check_proc_destination(e, err) < 0)
    return -1;
  if (mount_is_bind(e))
    return apply_bind(rootfd, e, o, err);
  if (strcmp(e->type, "cgroup") == 0)
    return mount_cgroup(rootfd, e, o, err);
  if (e->type[0] == '\0')
    return berr(err, 0, "mounts: %s: \"type\" is required unless the options say bind or rbind",
                e->destination);
  return apply_filesystem(rootfd, e, o, err);
}

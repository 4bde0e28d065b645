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
#include "runtime/rootfs/rootfs.h"
#include "runtime/rootfs/safepath.h"

void mount_unescape(char *s)
{
  char *out = s;
  for (char *in = s; *in; in++) {
    if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
        in[3] >= '0' && in[3] <= '7') {
      *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
      in += 3;
    } else {
      *out++ = *in;
    }
  }
  *out = '\0';
}

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
      cleanup_free char *next = NULL;
      if (asprintf(&next, "%s/%s", link[0] == '/' ? "" : parent, link) < 0)
        return berr(err, ENOMEM, "mount target %s", dest);
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

static int set_rec_attrs(int fd, const struct mount_options *opt, const char *what,
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
  if (set_rec_attrs(tree, opt, what, err) < 0)
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
static int check_proc_destination(const struct mount_entry *e, bottle_error_t *err)
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
  if (check_proc_destination(&resolved, err) < 0)
    return berr_wrap(err, "%s resolves into /proc", dest);
  return 0;
}

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

static const char *mount_label(const struct rootfs_opts *o)
{
  const cJSON *l = o->linux ? cJSON_GetObjectItemCaseSensitive(o->linux, "mountLabel") : NULL;
  return cJSON_IsString(l) && l->valuestring[0] ? l->valuestring : NULL;
}

static bool selinux_enabled(void)
{
  return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

char *mount_label_data(const char *data, const char *label)
{
  char *out = NULL;
  if (label == NULL || !selinux_enabled())
    return data ? strdup(data) : NULL;
  if (asprintf(&out, "%s%scontext=\"%s\"", data ? data : "", data ? "," : "", label) < 0)
    return NULL;
  return out;
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
  cleanup_free char *data = mount_label_data(e->opt.data, labelled ? mount_label(o) : NULL);
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
  if (set_rec_attrs(mnt, &e->opt, e->destination, err) < 0 ||
      mount_set_propagation(mnt, &e->opt, e->destination, err) < 0)
    return berr_wrap(err, "mounts");
  return 0;
}

int mount_entry_apply(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                      bottle_error_t *err)
{
  if (check_proc_destination(e, err) < 0)
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

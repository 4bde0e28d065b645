#include "runtime/rootfs/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/rootfs/mount.h"
#include "runtime/rootfs/safepath.h"

static const struct {
  const char *name;
  unsigned long flags;
} root_propagations[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* linux.rootfsPropagation as MS_* flags; 0 when absent. */
static int root_propagation(const struct rootfs_opts *o, unsigned long *flags, bottle_error_t *err)
{
  *flags = 0;
  const cJSON *p =
      o->linux ? cJSON_GetObjectItemCaseSensitive(o->linux, "rootfsPropagation") : NULL;
  if (p == NULL || cJSON_IsNull(p) || (cJSON_IsString(p) && p->valuestring[0] == '\0'))
    return 0;
  if (cJSON_IsString(p))
    for (size_t i = 0; i < sizeof(root_propagations) / sizeof(root_propagations[0]); i++)
      if (strcmp(p->valuestring, root_propagations[i].name) == 0) {
        *flags = root_propagations[i].flags;
        return 0;
      }
  return berr(err, 0,
              "linux.rootfsPropagation must be one of private, rprivate, slave, rslave, shared, "
              "rshared, unbindable, runbindable");
}

/* Finds the mount point holding path in /proc/self/mountinfo; reports
 * whether it is shared or unbindable (optional "shared:N" or "unbindable" fields): either
 * makes the bind of the rootfs onto itself fail. */
static int parent_mount(const char *path, char **mountpoint, bool *shared, bottle_error_t *err)
{
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berr(err, errno, "open /proc/self/mountinfo");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  size_t best_len = 0;
  *mountpoint = NULL;
  while (getline(&line, &cap, f) > 0) {
    char mp[PATH_MAX];
    int consumed = 0;
    if (sscanf(line, "%*s %*s %*s %*s %4095s %*s%n", mp, &consumed) < 1)
      continue;
    mountinfo_unescape(mp);
    size_t len = strlen(mp);
    bool prefix = strcmp(mp, "/") == 0 ||
                  (strncmp(path, mp, len) == 0 && (path[len] == '/' || path[len] == '\0'));
    if (!prefix || (len < best_len && *mountpoint != NULL))
      continue;
    const char *optional = line + consumed;
    const char *sep = strstr(optional, " - ");
    bool is_shared = false;
    const char *s = strstr(optional, "shared:");
    if (s != NULL && (sep == NULL || s < sep))
      is_shared = true;
    s = strstr(optional, "unbindable");
    if (s != NULL && (sep == NULL || s < sep))
      is_shared = true;
    free(*mountpoint);
    *mountpoint = strdup(mp);
    if (*mountpoint == NULL)
      return berr(err, ENOMEM, "mountinfo");
    best_len = len;
    *shared = is_shared;
  }
  if (*mountpoint == NULL)
    return berr(err, 0, "no mount holds %s", path);
  return 0;
}

static int prepare_root(const char *rootfs, const struct rootfs_opts *o, bottle_error_t *err)
{
  unsigned long propagation;
  if (root_propagation(o, &propagation, err) < 0)
    return -1;
  /* Nothing the container mounts may propagate back to the host. */
  if (mount(NULL, "/", NULL, propagation ? propagation : MS_SLAVE | MS_REC, NULL) < 0)
    return berr(err, errno, "make / %s", propagation ? "per rootfsPropagation" : "rslave");
  cleanup_free char *parent = NULL;
  bool shared = false;
  if (parent_mount(rootfs, &parent, &shared, err) < 0)
    return -1;
  /* A shared parent would make pivot_root fail, an unbindable one the bind (rootfsPropagation
   * "unbindable" has just made "/" so). */
  if (shared && mount(NULL, parent, NULL, MS_PRIVATE, NULL) < 0)
    return berr(err, errno, "make the rootfs parent mount %s private", parent);
  if (mount(rootfs, rootfs, "bind", MS_BIND | MS_REC, NULL) < 0)
    return berr(err, errno, "bind the rootfs %s onto itself", rootfs);
  return 0;
}

static bool is_dev_bind(const struct mount_entry *e)
{
  return mount_is_bind(e) && strcmp(e->destination, "/dev") == 0;
}

static int parse_entry(const cJSON *m, struct mount_entry *e, size_t index, bottle_error_t *err)
{
  const cJSON *dest = cJSON_GetObjectItemCaseSensitive(m, "destination");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "type");
  const cJSON *source = cJSON_GetObjectItemCaseSensitive(m, "source");
  if (!cJSON_IsObject(m) || !cJSON_IsString(dest) || dest->valuestring[0] == '\0')
    return berr(err, 0, "mounts[%zu]: \"destination\" must be a non-empty string", index);
  if (dest->valuestring[0] != '/')
    return berr(err, 0, "mounts[%zu]: destination %s must be an absolute path", index,
                dest->valuestring);
  if (type != NULL && !cJSON_IsNull(type) && !cJSON_IsString(type))
    return berr(err, 0, "mounts[%zu]: \"type\" must be a string", index);
  if (source != NULL && !cJSON_IsNull(source) && !cJSON_IsString(source))
    return berr(err, 0, "mounts[%zu]: \"source\" must be a string", index);
  e->destination = dest->valuestring;
  e->type = cJSON_IsString(type) ? type->valuestring : "";
  e->source = cJSON_IsString(source) ? source->valuestring : "";
  if (mount_options_parse(cJSON_GetObjectItemCaseSensitive(m, "options"), &e->opt, err) < 0)
    return berr_wrap(err, "mounts[%zu] (%s)", index, e->destination);
  return 0;
}

int rootfs_mount(const struct rootfs_opts *o, bottle_error_t *err)
{
  if (o->rootfs == NULL || o->rootfs[0] != '/')
    return berr(err, 0, "root.path must resolve to an absolute path");
  cleanup_free char *rootfs = realpath(o->rootfs, NULL);
  if (rootfs == NULL)
    return berr(err, errno, "root.path %s", o->rootfs);
  if (o->mounts != NULL && !cJSON_IsNull(o->mounts) && !cJSON_IsArray(o->mounts))
    return berr(err, 0, "\"mounts\" must be an array");
  if (prepare_root(rootfs, o, err) < 0)
    return berr_wrap(err, "rootfs");
  /* Opened after the self-bind so it names the new mount. */
  cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berr(err, errno, "rootfs: open %s", rootfs);

  struct rootfs_opts canonical = *o;
  canonical.rootfs = rootfs;
  bool setup_dev = true;
  const cJSON *m;
  size_t index = 0;
  cJSON_ArrayForEach(m, o->mounts)
  {
    struct mount_entry e;
    if (parse_entry(m, &e, index++, err) < 0)
      return berr_wrap(err, "rootfs");
    int rc = mount_entry_apply(rootfd, &e, &canonical, err);
    if (is_dev_bind(&e))
      setup_dev = false;
    mount_options_free(&e.opt);
    if (rc < 0)
      return berr_wrap(err, "rootfs");
  }
  /* A bind-mounted /dev is the user's own; runc leaves it alone. */
  if (setup_dev) {
    const cJSON *devices = o->linux ? cJSON_GetObjectItemCaseSensitive(o->linux, "devices") : NULL;
    if (devices_create(rootfd, devices, o->userns, err) < 0 || devices_symlinks(rootfd, err) < 0)
      return berr_wrap(err, "rootfs: /dev");
  }
  return 0;
}

static int pivot_into(const char *rootfs, bottle_error_t *err)
{
  cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return berr(err, errno, "open /");
  cleanup_close int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return berr(err, errno, "open %s", rootfs);
  if (fchdir(newroot) < 0)
    return berr(err, errno, "chdir %s", rootfs);
  /* pivot_root(".", ".") stacks the old root on top of the new one; it is
   * then reachable as "." until unmounted, with no directory needed. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return berr(err, errno, "pivot_root %s", rootfs);
  if (fchdir(oldroot) < 0)
    return berr(err, errno, "chdir to the old root");
  /* The detach must not propagate to the host's mounts. */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berr(err, errno, "make the old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return berr(err, errno, "detach the old root");
  if (chdir("/") < 0)
    return berr(err, errno, "chdir /");
  return 0;
}

/* With --no-pivot the host's procfs and sysfs would stay in the mount
 * namespace; the kernel's "fully visible" check for new proc/sysfs mounts
 * looks at them, and chroot alone does not hide them. Detach them first. */
static int detach_host_kernel_mounts(const char *rootfs, bottle_error_t *err)
{
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berr(err, errno, "open /proc/self/mountinfo");
  char *points[256];
  size_t n = 0;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  size_t rootlen = strlen(rootfs);
  while (getline(&line, &cap, f) > 0 && n < sizeof(points) / sizeof(points[0])) {
    char root[PATH_MAX], mp[PATH_MAX], fstype[64];
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2 ||
        sscanf(sep + 3, "%63s", fstype) != 1)
      continue;
    mountinfo_unescape(root);
    mountinfo_unescape(mp);
    if (strcmp(root, "/") != 0 || (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0))
      continue;
    if (strncmp(mp, rootfs, rootlen) == 0 && (mp[rootlen] == '/' || mp[rootlen] == '\0'))
      continue;
    points[n] = strdup(mp);
    if (points[n] != NULL)
      n++;
  }
  int rc = 0;
  for (size_t i = n; i-- > 0;) {
    if (rc == 0) {
      mount(NULL, points[i], NULL, MS_SLAVE | MS_REC, NULL);
      if (umount2(points[i], MNT_DETACH) < 0) {
        if (errno != EINVAL && errno != EPERM)
          rc = berr(err, errno, "detach %s", points[i]);
        else if (mount("tmpfs", points[i], "tmpfs", 0, NULL) < 0)
          rc = berr(err, errno, "cover %s", points[i]);
      }
    }
    free(points[i]);
  }
  return rc;
}

static int move_into(const char *rootfs, bottle_error_t *err)
{
  if (detach_host_kernel_mounts(rootfs, err) < 0)
    return -1;
  if (chdir(rootfs) < 0)
    return berr(err, errno, "chdir %s", rootfs);
  if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return berr(err, errno, "move %s to /", rootfs);
  if (chroot(".") < 0)
    return berr(err, errno, "chroot %s", rootfs);
  if (chdir("/") < 0)
    return berr(err, errno, "chdir /");
  return 0;
}

/* stdio inherited as the host's /dev/null is swapped for the container's
 * own (as runc does), so no fd 0-2 names a host inode. Best effort: the
 * container may have no usable /dev/null, and nothing depends on it. */
static void reopen_dev_null(void)
{
  cleanup_close int null = open("/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  struct stat want;
  if (null < 0 || fstat(null, &want) < 0 || !S_ISCHR(want.st_mode) || want.st_rdev != makedev(1, 3))
    return;
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == want.st_rdev &&
        (st.st_dev != want.st_dev || st.st_ino != want.st_ino))
      dup3(null, fd, 0);
  }
}

int rootfs_pivot_root(const struct rootfs_opts *o, bottle_error_t *err)
{
  cleanup_free char *rootfs = realpath(o->rootfs, NULL);
  if (rootfs == NULL)
    return berr(err, errno, "rootfs: root.path %s", o->rootfs);
  /* rootfsPropagation took effect in prepare_root, on the mount namespace's copy of the host
   * tree (what lets a shared volume propagate), and is applied to the new "/" too, as crun
   * does (runc 1.1 leaves it private): the new root is a bind made from a private parent, so
   * a shared one is a peer group of this namespace only. */
  int rc = o->no_pivot ? move_into(rootfs, err) : pivot_into(rootfs, err);
  if (rc < 0)
    return berr_wrap(err, "rootfs");
  unsigned long propagation;
  if (root_propagation(o, &propagation, err) < 0)
    return berr_wrap(err, "rootfs");
  if (propagation != 0 && mount(NULL, "/", NULL, propagation, NULL) < 0)
    return berr(err, errno, "rootfs: make the new / %s (linux.rootfsPropagation)",
                json_str(o->linux, "rootfsPropagation", "?"));
  reopen_dev_null();
  return 0;
}

/* Resolves one maskedPaths/readonlyPaths entry; returns -1 with *missing set
 * when it does not exist (which is not an error). */
static int open_listed_path(int rootfd, const char *path, bool *missing, bottle_error_t *err)
{
  *missing = false;
  bottle_error_t lookup = {0};
  int fd = safepath_open(rootfd, path, O_PATH, 0, &lookup);
  if (fd >= 0)
    return fd;
  if (lookup.errnum == ENOENT) {
    *missing = true;
    return -1;
  }
  return berr_pass(err, &lookup);
}

static int readonly_path(int rootfd, const char *path, bottle_error_t *err)
{
  bool missing;
  cleanup_close int target = open_listed_path(rootfd, path, &missing, err);
  if (target < 0)
    return missing ? 0 : -1;
  struct mount_options opt = {.flags = MS_BIND | MS_REC, .rec_attr_set = MOUNT_ATTR_RDONLY};
  cleanup_close int mnt = mount_bind(NULL, target, target, &opt, path, err);
  return mnt < 0 ? -1 : 0;
}

/* The /dev/null used to mask files must really be the null device: an
 * image could otherwise plant a symlink or another node there and have it
 * bound over /proc/... (CVE-2025-31133). */
static int open_dev_null(int rootfd, bottle_error_t *err)
{
  cleanup_close int fd = safepath_open(rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berr(err, errno, "stat /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    return berr(err, 0, "/dev/null in the container is not the null device (1:3)");
  return take_fd(fd);
}

static int mask_dir(int target, const char *path, const char *label, bottle_error_t *err)
{
  cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return berr(err, errno, "mask %s: tmpfs", path);
  cleanup_free char *context = mount_label_data(NULL, label);
  if (context != NULL && fsconfig(fs, FSCONFIG_SET_STRING, "context", label, 0) < 0)
    return berr(err, errno, "mask %s: tmpfs context %s", path, label);
  if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
      fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
      fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berr(err, errno, "mask %s: create tmpfs", path);
  cleanup_close int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
  if (mnt < 0)
    return berr(err, errno, "mask %s: mount tmpfs", path);
  if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berr(err, errno, "mask %s", path);
  return 0;
}

struct mask_ctx {
  int devnull;
  const char *label;
};

static int mask_path(int rootfd, struct mask_ctx *ctx, const char *path, bottle_error_t *err)
{
  bool missing;
  cleanup_close int target = open_listed_path(rootfd, path, &missing, err);
  if (target < 0)
    return missing ? 0 : -1;
  struct stat st;
  if (fstat(target, &st) < 0)
    return berr(err, errno, "mask %s: stat", path);
  if (S_ISDIR(st.st_mode))
    return mask_dir(target, path, ctx->label, err);
  if (ctx->devnull < 0 && (ctx->devnull = open_dev_null(rootfd, err)) < 0)
    return berr_wrap(err, "mask %s", path);
  struct mount_options opt = {.flags = MS_BIND};
  cleanup_close int mnt = mount_bind(NULL, ctx->devnull, target, &opt, path, err);
  return mnt < 0 ? -1 : 0;
}

static int for_each_path(const cJSON *list, const char *field,
                         int (*fn)(int rootfd, void *ctx, const char *path, bottle_error_t *err),
                         int rootfd, void *ctx, bottle_error_t *err)
{
  if (list == NULL || cJSON_IsNull(list))
    return 0;
  if (!cJSON_IsArray(list))
    return berr(err, 0, "linux.%s must be an array of absolute paths", field);
  const cJSON *p;
  cJSON_ArrayForEach(p, list)
  {
    if (!cJSON_IsString(p) || p->valuestring[0] != '/')
      return berr(err, 0, "linux.%s: entries must be absolute paths", field);
    if (fn(rootfd, ctx, p->valuestring, err) < 0)
      return berr_wrap(err, "linux.%s", field);
  }
  return 0;
}

static int readonly_cb(int rootfd, void *ctx, const char *path, bottle_error_t *err)
{
  (void)ctx;
  return readonly_path(rootfd, path, err);
}

static int mask_cb(int rootfd, void *ctx, const char *path, bottle_error_t *err)
{
  return mask_path(rootfd, ctx, path, err);
}

/* A "ro" /dev was mounted writable so it could be populated (runc's
 * finalizeRootfs); it becomes read-only now. */
static int dev_readonly(int rootfd, const struct rootfs_opts *o, bottle_error_t *err)
{
  const cJSON *m;
  cJSON_ArrayForEach(m, o->mounts)
  {
    const cJSON *dest = cJSON_GetObjectItemCaseSensitive(m, "destination");
    if (!cJSON_IsString(dest) || strcmp(dest->valuestring, "/dev") != 0)
      continue;
    struct mount_options opt;
    int rc = mount_options_parse(cJSON_GetObjectItemCaseSensitive(m, "options"), &opt, NULL);
    bool ro = rc == 0 && (opt.flags & MS_RDONLY);
    mount_options_free(&opt);
    if (!ro)
      return 0;
    cleanup_close int dev = safepath_open(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (dev < 0 || mount_setattr(dev, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
      return berr(err, errno, "rootfs: remount /dev read-only");
    return 0;
  }
  return 0;
}

int rootfs_finalize(const struct rootfs_opts *o, bottle_error_t *err)
{
  cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berr(err, errno, "rootfs: open /");
  if (dev_readonly(rootfd, o, err) < 0)
    return -1;
  if (o->readonly) {
    /* Only the flag named changes; nosuid/nodev the root may carry (and
     * which may be locked) are kept. */
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(rootfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
      return berr(err, errno, "rootfs: remount / read-only");
  }
  const cJSON *ro = o->linux ? cJSON_GetObjectItemCaseSensitive(o->linux, "readonlyPaths") : NULL;
  const cJSON *masked = o->linux ? cJSON_GetObjectItemCaseSensitive(o->linux, "maskedPaths") : NULL;
  if (for_each_path(ro, "readonlyPaths", readonly_cb, rootfd, NULL, err) < 0)
    return berr_wrap(err, "rootfs");
  struct mask_ctx ctx = {.devnull = -1, .label = o->mount_label};
  int rc = for_each_path(masked, "maskedPaths", mask_cb, rootfd, &ctx, err);
  if (ctx.devnull >= 0)
    close(ctx.devnull);
  return rc < 0 ? berr_wrap(err, "rootfs") : 0;
}

int rootfs_pivot(const struct rootfs_opts *o, bottle_error_t *err)
{
  if (rootfs_pivot_root(o, err) < 0)
    return -1;
  return rootfs_finalize(o, err);
}

/* The slave must be a pty from a devpts (major 136-143); /dev/console is
 * replaced if it is anything but a plain file or device, so a symlink
 * planted there cannot redirect the bind (CVE-2025-52565). */
int rootfs_bind_console(const char *slave_path, bottle_error_t *err)
{
  cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berr(err, errno, "console: open /");
  cleanup_close int slave = safepath_open(rootfd, slave_path, O_PATH | O_NOFOLLOW, 0, err);
  if (slave < 0)
    return berr_wrap(err, "console");
  struct stat st;
  if (fstat(slave, &st) < 0)
    return berr(err, errno, "console: stat %s", slave_path);
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143)
    return berr(err, 0, "console: %s is not a pty slave", slave_path);

  cleanup_close int devpath = safepath_mkdirs(rootfd, "/dev", 0755, err);
  if (devpath < 0)
    return berr_wrap(err, "console");
  cleanup_close int dev = openat(devpath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dev < 0)
    return berr(err, errno, "console: open /dev");
  cleanup_close int existing = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (existing >= 0) {
    struct stat cst;
    if (fstat(existing, &cst) < 0)
      return berr(err, errno, "console: stat /dev/console");
    if (!S_ISREG(cst.st_mode) && !S_ISCHR(cst.st_mode)) {
      if (unlinkat(dev, "console", S_ISDIR(cst.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return berr(err, errno, "console: remove /dev/console");
      close(take_fd(existing));
    }
  }
  if (existing < 0) {
    cleanup_close int created =
        openat(dev, "console", O_CREAT | O_EXCL | O_NOFOLLOW | O_RDONLY | O_CLOEXEC, 0600);
    if (created < 0)
      return berr(err, errno, "console: create /dev/console");
    existing = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (existing < 0)
      return berr(err, errno, "console: open /dev/console");
  }
  struct mount_options opt = {.flags = MS_BIND};
  cleanup_close int mnt = mount_bind(NULL, slave, existing, &opt, "/dev/console", err);
  return mnt < 0 ? berr_wrap(err, "console") : 0;
}

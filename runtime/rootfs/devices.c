#include "runtime/rootfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/rootfs/safepath.h"

struct device {
  const char *path;
  mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

/* runc's default device list: what every container gets in /dev. */
static const struct device default_devices[] = {
    {"/dev/null", S_IFCHR, 1, 3, 0666, 0, 0},    {"/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0},
    {"/dev/full", S_IFCHR, 1, 7, 0666, 0, 0},    {"/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0},
    {"/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0}, {"/dev/random", S_IFCHR, 1, 8, 0666, 0, 0},
};

/* In a user namespace mknod is not allowed: bind the host's node over an
 * empty file instead, as runc does. */
static int bind_host_device(int rootfd, const struct device *d, bottle_error_t *err)
{
  cleanup_close int target = mount_target(rootfd, d->path, true, err);
  if (target < 0)
    return -1;
  struct mount_options opt = {.flags = MS_BIND};
  cleanup_close int mnt = mount_bind(d->path, -1, target, &opt, d->path, err);
  return mnt < 0 ? -1 : 0;
}

static int split_parent(const char *path, char **parent, const char **name)
{
  const char *slash = strrchr(path, '/');
  if (slash == NULL || slash[1] == '\0')
    return -1;
  *parent = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
  *name = slash + 1;
  return *parent ? 0 : -1;
}

static int create_device(int rootfd, const struct device *d, bool userns, bottle_error_t *err)
{
  if (userns)
    return bind_host_device(rootfd, d, err);
  cleanup_free char *parent = NULL;
  const char *name;
  if (split_parent(d->path, &parent, &name) < 0)
    return berr(err, 0, "linux.devices: invalid path %s", d->path);
  cleanup_close int dirfd = safepath_mkdirs(rootfd, parent, 0755, err);
  if (dirfd < 0)
    return berr_wrap(err, "linux.devices: %s", d->path);
  /* mknodat needs a real directory fd, not O_PATH. */
  cleanup_close int dir = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return berr(err, errno, "linux.devices: open %s", parent);
  mode_t old_umask = umask(0);
  int rc = mknodat(dir, name, d->type | (d->mode & 07777), makedev(d->major, d->minor));
  int saved = errno;
  umask(old_umask);
  if (rc < 0) {
    if (saved == EEXIST)
      return 0;
    if (saved == EPERM)
      return bind_host_device(rootfd, d, err);
    return berr(err, saved, "linux.devices: mknod %s", d->path);
  }
  if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return berr(err, errno, "linux.devices: chown %s", d->path);
  return 0;
}

static int parse_device(const cJSON *j, struct device *d, bottle_error_t *err)
{
  const cJSON *path = cJSON_GetObjectItemCaseSensitive(j, "path");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
  if (!cJSON_IsString(path) || path->valuestring[0] != '/')
    return berr(err, 0, "linux.devices: \"path\" must be an absolute path");
  d->path = path->valuestring;
  if (strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, "/../") != NULL)
    return berr(err, 0, "linux.devices: %s: device paths must be under /dev", d->path);
  if (!cJSON_IsString(type))
    return berr(err, 0, "linux.devices: %s: \"type\" must be one of c, u, b, p", d->path);
  const char *t = type->valuestring;
  if (strcmp(t, "c") == 0 || strcmp(t, "u") == 0)
    d->type = S_IFCHR;
  else if (strcmp(t, "b") == 0)
    d->type = S_IFBLK;
  else if (strcmp(t, "p") == 0)
    d->type = S_IFIFO;
  else
    return berr(err, 0, "linux.devices: %s: \"type\" must be one of c, u, b, p, not \"%s\"",
                d->path, t);
  const cJSON *major = cJSON_GetObjectItemCaseSensitive(j, "major");
  const cJSON *minor = cJSON_GetObjectItemCaseSensitive(j, "minor");
  if (d->type != S_IFIFO && (!cJSON_IsNumber(major) || !cJSON_IsNumber(minor) ||
                             major->valuedouble < 0 || minor->valuedouble < 0))
    return berr(err, 0, "linux.devices: %s: \"major\" and \"minor\" are required", d->path);
  d->major = cJSON_IsNumber(major) ? (unsigned)major->valuedouble : 0;
  d->minor = cJSON_IsNumber(minor) ? (unsigned)minor->valuedouble : 0;
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(j, "fileMode");
  d->mode = cJSON_IsNumber(mode) ? (mode_t)mode->valuedouble & 07777 : 0666;
  const cJSON *uid = cJSON_GetObjectItemCaseSensitive(j, "uid");
  const cJSON *gid = cJSON_GetObjectItemCaseSensitive(j, "gid");
  d->uid = cJSON_IsNumber(uid) ? (uid_t)uid->valuedouble : 0;
  d->gid = cJSON_IsNumber(gid) ? (gid_t)gid->valuedouble : 0;
  return 0;
}

int devices_create(int rootfd, const cJSON *linux_devices, bool userns, bottle_error_t *err)
{
  for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
    if (create_device(rootfd, &default_devices[i], userns, err) < 0)
      return -1;
  if (linux_devices == NULL || cJSON_IsNull(linux_devices))
    return 0;
  if (!cJSON_IsArray(linux_devices))
    return berr(err, 0, "linux.devices must be an array");
  const cJSON *j;
  cJSON_ArrayForEach(j, linux_devices)
  {
    struct device d;
    if (parse_device(j, &d, err) < 0 || create_device(rootfd, &d, userns, err) < 0)
      return -1;
  }
  return 0;
}

static int replace_symlink(int devfd, const char *target, const char *name, bottle_error_t *err)
{
  if (symlinkat(target, devfd, name) == 0)
    return 0;
  if (errno != EEXIST)
    return berr(err, errno, "symlink /dev/%s -> %s", name, target);
  return 0;
}

int devices_symlinks(int rootfd, bottle_error_t *err)
{
  cleanup_close int devpath = safepath_mkdirs(rootfd, "/dev", 0755, err);
  if (devpath < 0)
    return -1;
  cleanup_close int dev = openat(devpath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dev < 0)
    return berr(err, errno, "open /dev in the rootfs");
  static const struct {
    const char *target, *name;
  } links[] = {
      {"/proc/self/fd", "fd"},
      {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"},
  };
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
    if (replace_symlink(dev, links[i].target, links[i].name, err) < 0)
      return -1;
  if (access("/proc/kcore", F_OK) == 0 && replace_symlink(dev, "/proc/kcore", "core", err) < 0)
    return -1;
  /* /dev/ptmx must be the devpts instance's multiplexer, whatever the image
   * or an earlier step left there. */
  if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
    return berr(err, errno, "remove /dev/ptmx");
  if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
    return berr(err, errno, "symlink /dev/ptmx -> pts/ptmx");
  return 0;
}

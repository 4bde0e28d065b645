#include "runtime/rootfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/rootfs/safepath.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define MAX_HIERARCHIES 32

/* One v1 hierarchy this process belongs to. */
struct hierarchy {
  char controllers[256]; /* as in /proc/self/cgroup: "cpu,cpuacct", "name=systemd" */
  char path[PATH_MAX];   /* our cgroup in it */
  char mountpoint[PATH_MAX];
  char mount_root[PATH_MAX];
};

static bool is_cgroup2_host(void)
{
  struct statfs sf;
  return statfs(CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static bool has_token(const char *list, const char *tok, size_t n)
{
  for (const char *p = list; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, tok, n) == 0)
      return true;
    p = end ? end + 1 : p + len;
  }
  return false;
}

/* Every comma-separated token of want appears among the tokens of have. */
static bool tokens_subset(const char *want, const char *have)
{
  for (const char *p = want; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (!has_token(have, p, len))
      return false;
    p = end ? end + 1 : p + len;
  }
  return true;
}

/* Our membership lines of /proc/self/cgroup ("3:cpu,cpuacct:/docker/x"),
 * v1 only. */
static int read_memberships(struct hierarchy *out, size_t max, size_t *n, bottle_error_t *err)
{
  cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return berr(err, errno, "open /proc/self/cgroup");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  *n = 0;
  while (getline(&line, &cap, f) > 0 && *n < max) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL || c2 == c1 + 1)
      continue; /* the v2 "0::/path" line */
    struct hierarchy *h = &out[(*n)++];
    snprintf(h->controllers, sizeof(h->controllers), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    snprintf(h->path, sizeof(h->path), "%s", c2 + 1);
  }
  return 0;
}

/* Our v1 hierarchies that are mounted, in mountinfo order (as runc lists
 * them). Only the first mount of each hierarchy is used. */
static int list_hierarchies(struct hierarchy *out, size_t max, size_t *n, bottle_error_t *err)
{
  cleanup_free struct hierarchy *members = calloc(MAX_HIERARCHIES, sizeof(*members));
  size_t n_members = 0;
  bool used[MAX_HIERARCHIES] = {false};
  if (members == NULL)
    return berr(err, ENOMEM, "cgroup mounts");
  if (read_memberships(members, MAX_HIERARCHIES, &n_members, err) < 0)
    return -1;
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berr(err, errno, "open /proc/self/mountinfo");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  *n = 0;
  while (getline(&line, &cap, f) > 0 && *n < max) {
    const char *sep = strstr(line, " - ");
    char root[PATH_MAX], mp[PATH_MAX], fstype[32], super[512];
    if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2 ||
        sscanf(sep + 3, "%31s %*s %511s", fstype, super) != 2 || strcmp(fstype, "cgroup") != 0)
      continue;
    mountinfo_unescape(root);
    mountinfo_unescape(mp);
    for (size_t i = 0; i < n_members; i++) {
      if (used[i] || !tokens_subset(members[i].controllers, super))
        continue;
      used[i] = true;
      out[*n] = members[i];
      snprintf(out[*n].mountpoint, sizeof(out[*n].mountpoint), "%s", mp);
      snprintf(out[*n].mount_root, sizeof(out[*n].mount_root), "%s", root);
      (*n)++;
      break;
    }
  }
  return 0;
}

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static int join_dest(char *buf, size_t size, const char *dir, const char *name)
{
  int n = snprintf(buf, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int mount_hierarchy(int rootfd, const struct mount_entry *e, const struct hierarchy *h,
                           const struct rootfs_opts *o, bottle_error_t *err)
{
  char dest[PATH_MAX];
  if (join_dest(dest, sizeof(dest), e->destination, base_name(h->mountpoint)) < 0)
    return berr(err, ENAMETOOLONG, "cgroup %s", h->controllers);
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (e->opt.flags & MS_RDONLY);
  if (o->new_cgroupns) {
    /* In a cgroup namespace a fresh mount shows the namespace root. */
    cleanup_close int target = mount_target(rootfd, dest, false, err);
    if (target < 0 || mount_check_target(target, o->rootfs, "cgroup", dest, err) < 0)
      return -1;
    bool named = strncmp(h->controllers, "name=", 5) == 0;
    char path[32];
    if (mount(named ? base_name(h->mountpoint) : "cgroup", mount_fd_path(path, target), "cgroup",
              flags, h->controllers) < 0)
      return berr(err, errno, "mount cgroup %s on %s", h->controllers, dest);
    return 0;
  }
  /* Otherwise bind our own cgroup directory, as runc does. */
  char source[PATH_MAX * 2];
  const char *rel = h->path;
  size_t rootlen = strlen(h->mount_root);
  if (strcmp(h->mount_root, "/") != 0 && strncmp(rel, h->mount_root, rootlen) == 0)
    rel += rootlen;
  snprintf(source, sizeof(source), "%s%s", h->mountpoint, rel);
  struct mount_entry bind = *e;
  bind.source = source;
  bind.destination = dest;
  bind.opt.flags = flags | MS_BIND | MS_REC;
  bind.opt.cleared = 0;
  bind.opt.rec_attr_set = bind.opt.rec_attr_clr = 0;
  cleanup_close int target = mount_target(rootfd, dest, false, err);
  if (target < 0 || mount_check_target(target, o->rootfs, "cgroup", dest, err) < 0)
    return -1;
  cleanup_close int mnt = mount_bind(source, -1, target, &bind.opt, dest, err);
  return mnt < 0 ? -1 : 0;
}

/* Co-mounted controllers ("cpu,cpuacct") get a symlink per controller. */
static int comount_links(int rootfd, const struct mount_entry *e, const struct hierarchy *h,
                         bottle_error_t *err)
{
  const char *dir = base_name(h->mountpoint);
  if (strchr(dir, ',') == NULL)
    return 0;
  cleanup_close int base = safepath_open(rootfd, e->destination, O_RDONLY | O_DIRECTORY, 0, err);
  if (base < 0)
    return -1;
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", dir);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
    if (symlinkat(dir, base, t) < 0 && errno != EEXIST)
      return berr(err, errno, "symlink cgroup %s -> %s", t, dir);
  return 0;
}

static int mount_v1(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                    bottle_error_t *err)
{
  struct hierarchy *hs = calloc(MAX_HIERARCHIES, sizeof(*hs));
  if (hs == NULL)
    return berr(err, ENOMEM, "cgroup mounts");
  size_t n = 0;
  int rc = list_hierarchies(hs, MAX_HIERARCHIES, &n, err);
  cleanup_close int target = rc < 0 ? -1 : mount_target(rootfd, e->destination, false, err);
  char path[32];
  if (rc == 0 &&
      (target < 0 || mount_check_target(target, o->rootfs, "cgroup", e->destination, err) < 0))
    rc = -1;
  /* The tmpfs is writable while we fill it, read-only after if asked. */
  if (rc == 0 && mount("tmpfs", mount_fd_path(path, target), "tmpfs",
                       MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    rc = berr(err, errno, "mount tmpfs on %s", e->destination);
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (mount_hierarchy(rootfd, e, &hs[i], o, err) < 0 || comount_links(rootfd, e, &hs[i], err) < 0)
      rc = -1;
  free(hs);
  if (rc < 0)
    return -1;
  cleanup_close int mnt = safepath_open(rootfd, e->destination, O_PATH | O_DIRECTORY, 0, err);
  if (mnt < 0)
    return -1;
  if (e->opt.flags & MS_RDONLY) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
      return berr(err, errno, "remount %s read-only", e->destination);
  }
  return mount_set_propagation(mnt, &e->opt, e->destination, err);
}

/* Our own cgroup v2 path from the "0::/path" line. */
static int own_v2_path(char *buf, size_t size, bottle_error_t *err)
{
  cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return berr(err, errno, "open /proc/self/cgroup");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    if (strncmp(line, "0::", 3) != 0)
      continue;
    line[strcspn(line, "\n")] = '\0';
    snprintf(buf, size, "%s%s", CGROUP_ROOT, line + 3);
    return 0;
  }
  return berr(err, 0, "no cgroup v2 entry in /proc/self/cgroup");
}

static int mount_v2(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                    bottle_error_t *err)
{
  cleanup_close int target = mount_target(rootfd, e->destination, false, err);
  if (target < 0 || mount_check_target(target, o->rootfs, "cgroup", e->destination, err) < 0)
    return -1;
  char path[32];
  unsigned long flags = e->opt.flags & ~(unsigned long)(MS_BIND | MS_REC);
  if (mount("cgroup2", mount_fd_path(path, target), "cgroup2", flags, e->opt.data) == 0) {
    cleanup_close int mnt = safepath_open(rootfd, e->destination, O_PATH | O_DIRECTORY, 0, err);
    if (mnt < 0)
      return -1;
    return mount_set_propagation(mnt, &e->opt, e->destination, err);
  }
  int saved = errno;
  if (saved != EPERM && saved != EBUSY)
    return berr(err, saved, "mount cgroup2 on %s", e->destination);
  /* A user namespace without its own cgroup namespace may not mount
   * cgroup2; show our own subtree instead. */
  char source[PATH_MAX];
  if (own_v2_path(source, sizeof(source), err) < 0)
    return -1;
  struct mount_options opt = e->opt;
  opt.flags |= MS_BIND | MS_REC;
  cleanup_close int mnt = mount_bind(source, -1, target, &opt, e->destination, err);
  return mnt < 0 ? -1 : 0;
}

int mount_cgroup(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                 bottle_error_t *err)
{
  int rc = is_cgroup2_host() ? mount_v2(rootfd, e, o, err) : mount_v1(rootfd, e, o, err);
  return rc < 0 ? berr_wrap(err, "mounts: %s", e->destination) : 0;
}

/* The container's filesystem view: mounts, devices, pivot_root, masked and
 * read-only paths. Owned by runtime/rootfs*.c, mount*.c, devices.c.
 * Everything here runs inside the container's new mount namespace, in the
 * container init, before the user program is exec'd. */
#ifndef BOTTLE_ROOTFS_H
#define BOTTLE_ROOTFS_H

#include <stdbool.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

struct rootfs_opts {
  const char *rootfs;  /* absolute path of root.path on the host */
  bool readonly;       /* root.readonly */
  bool no_pivot;       /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  const cJSON *mounts; /* config.json "mounts" array (may be NULL) */
  const cJSON *linux;  /* config.json "linux" object: devices, maskedPaths, readonlyPaths,
                          rootfsPropagation */
  bool userns;         /* a new user namespace: devices are bind-mounted, not mknod'ed */
  bool new_cgroupns;   /* cgroup mounts show the namespace's view */
  /* linux.mountLabel when SELinux is enabled, else NULL: the security layer decides
   * (lsm_mount_label), rootfs/ only adds it as context= to the mounts that take one. */
  const char *mount_label;
};

/* Phase 1, before createContainer hooks: make mounts private/slave per
 * rootfsPropagation, bind the rootfs onto itself, perform every mount in
 * order (bind/rbind with propagation flags, proc, sysfs, tmpfs, devpts,
 * mqueue, cgroup, ...), create the default devices and /dev symlinks
 * (/dev/ptmx -> pts/ptmx, fd, stdin, stdout, stderr), with every target
 * resolved inside the rootfs without following symlinks out of it. */
int rootfs_mount(const struct rootfs_opts *o, bottle_error_t *err);

/* Phase 2, after createContainer hooks: pivot_root (or move+chroot), chdir
 * to the new "/", mask maskedPaths, make readonlyPaths read-only, and remount
 * the root read-only when asked. After this, "/" is the container's root. */
int rootfs_pivot(const struct rootfs_opts *o, bottle_error_t *err);

/* rootfs_pivot in its two halves, for callers that follow runc's order
 * exactly (console, hostname and sysctls between them):
 * rootfs_pivot_root: pivot_root (or move+chroot), chdir "/", stdio on the
 *   host's /dev/null reopened on the container's;
 * rootfs_finalize: a "ro" /dev made read-only (it was populated writable),
 *   "/" read-only if asked, then readonlyPaths, then maskedPaths.
 * rootfs_pivot() is the two in a row. */
int rootfs_pivot_root(const struct rootfs_opts *o, bottle_error_t *err);
int rootfs_finalize(const struct rootfs_opts *o, bottle_error_t *err);

/* Bind-mounts the pty slave path (a /dev/pts/N of the container's devpts)
 * over /dev/console, after the pivot. It may create /dev/console, so with a
 * read-only /dev call it between rootfs_pivot_root and rootfs_finalize. */
int rootfs_bind_console(const char *slave_path, bottle_error_t *err);

#endif

/* Internal to the rootfs code (rootfs.c, mount*.c, devices.c): one OCI mount
 * entry parsed into syscall terms, and the steps rootfs_mount is built from. */
#ifndef BOTTLE_MOUNT_H
#define BOTTLE_MOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

#define MOUNT_MAX_PROPAGATION 8

struct mount_options {
  unsigned long flags;   /* MS_* to set (mount(2) semantics) */
  unsigned long cleared; /* MS_* explicitly cleared ("rw", "suid", "dev", ...) */
  unsigned long propagation[MOUNT_MAX_PROPAGATION]; /* MS_PRIVATE|MS_REC, ... in order */
  size_t n_propagation;
  uint64_t rec_attr_set; /* MOUNT_ATTR_* from "rro", "rnosuid", ... (recursive) */
  uint64_t rec_attr_clr;
  bool tmpcopyup;
  char *data; /* filesystem-specific options, comma-joined; NULL when none */
};

struct mount_entry {
  const char *destination;
  const char *type; /* "" when absent */
  const char *source;
  struct mount_options opt;
};

/* Parses one OCI "options" array; errors name the option. */
int mount_options_parse(const cJSON *options, struct mount_options *out, bottle_error_t *err);
void mount_options_free(struct mount_options *o);
/* A bind mount is recognised by the bind/rbind option, or by type "bind". */
bool mount_is_bind(const struct mount_entry *e);

/* Performs one mount entry inside the root (rootfd: O_PATH of the rootfs;
 * o->rootfs: its canonical path). */
struct rootfs_opts;
int mount_entry_apply(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                      bottle_error_t *err);
/* The "cgroup" mount type: cgroup2 on v2 hosts, a tmpfs of per-hierarchy
 * mounts on v1 and hybrid hosts. */
int mount_cgroup(int rootfd, const struct mount_entry *e, const struct rootfs_opts *o,
                 bottle_error_t *err);

/* tmpfs with "tmpcopyup": filled with the target's contents before it is
 * attached onto targetfd. */
int mount_tmpfs_copyup(int targetfd, const struct mount_entry *e, bottle_error_t *err);
/* Data with context="mount_label" appended when there is a label (rootfs_opts.mount_label:
 * set only when SELinux is enabled); otherwise a copy of data (NULL stays NULL). */
char *mount_label_data(const char *data, const char *mount_label);

/* Shared helpers. */
/* "/proc/self/fd/N" for fd; buf must hold 32 bytes. */
const char *mount_fd_path(char *buf, int fd);
/* Opens the destination inside the root, creating a directory (or, with
 * as_file, an empty file) when it is missing. Returns an O_PATH fd. */
int mount_target(int rootfd, const char *dest, bool as_file, bottle_error_t *err);
/* Refuses a destination under /proc other than procfs at /proc itself and the lxcfs files
 * (CVE-2019-16884 class), as runc. */
int mount_check_proc_destination(const struct mount_entry *e, bottle_error_t *err);
/* Checks where targetfd really is: inside rootfs (the canonical path) and
 * not somewhere under its /proc that only type may use. */
int mount_check_target(int fd, const char *rootfs, const char *type, const char *dest,
                       bottle_error_t *err);
/* MS_* flags to MOUNT_ATTR_* values for mount_setattr. */
uint64_t mount_flags_to_attr(unsigned long ms_flags);
/* Sets the entry's recursive attributes ("rro", "rnosuid"...) on the mount tree at fd. */
int mount_set_rec_attrs(int fd, const struct mount_options *opt, const char *what,
                        bottle_error_t *err);
/* Sets propagation on the mount at fd (an fd of its root). */
int mount_set_propagation(int fd, const struct mount_options *opt, const char *what,
                          bottle_error_t *err);
/* Bind-mounts source (a host path, or fd when source is NULL) onto targetfd,
 * then applies opt's flags to the new mount without touching the source's
 * other (possibly locked) flags. Returns the new mount's fd or -1. */
int mount_bind(const char *source, int source_fd, int targetfd, const struct mount_options *opt,
               const char *what, bottle_error_t *err);

/* /dev: default devices, linux.devices, and the standard symlinks. */
int devices_create(int rootfd, const cJSON *linux_devices, bool userns, bottle_error_t *err);
int devices_symlinks(int rootfd, bottle_error_t *err);

#endif

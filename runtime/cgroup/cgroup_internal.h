/* Shared between runtime/cgroup*.c only: the layout of struct cgroup and the
 * small file helpers every controller file uses. */
#ifndef BOTTLE_CGROUP_INTERNAL_H
#define BOTTLE_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cJSON.h>
#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/error.h"

/* One mounted v1 hierarchy: its controllers as the kernel names them in
 * /proc/self/cgroup ("cpu,cpuacct", "name=systemd") and the container's
 * directory in it. */
struct cgroup_hierarchy {
  char *controllers;
  char *dir;
  char *mount; /* mount point; only known right after resolving, NULL when loaded */
};

struct cgroup {
  char *path;        /* cgroup path inside each hierarchy, e.g. "/docker/<id>" */
  bool unified_only; /* pure v2 host: only `unified` is used */
  size_t n_hier;
  struct cgroup_hierarchy *hier; /* v1 hierarchies (v1 and hybrid hosts) */
  char *unified;                 /* v2 directory: the only one on v2, best-effort extra on hybrid */
  char *unified_mount;
};

/* The v1 directory holding controller `name`, or NULL when not mounted. */
const char *cgroup_v1_dir(const struct cgroup *cg, const char *name);
bool cgroup_controller_listed(const char *list, const char *name);
int cgroup_add_hierarchy(struct cgroup *cg, const char *controllers, const char *dir);

/* cgroup_hosts.c: where the container's cgroup lies in each of the host's hierarchies (not
 * created yet; the mount points are filled in); the unified hierarchy's mount point when dir
 * lies below it, else NULL (malloc'd). */
int cgroup_resolve(const char *id, const char *cgroups_path, struct cgroup **out,
                   bottle_error_t *err);
char *cgroup_unified_mount_of(const char *dir);

/* dir/file helpers. Values are written with one write(2), as the kernel wants. */
int cg_write(const char *dir, const char *file, const char *value, bottle_error_t *err);
int cg_writef(const char *dir, const char *file, bottle_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reads the whole file (trailing newline stripped) into a malloc'd string; NULL on error. */
char *cg_read(const char *dir, const char *file);
bool cg_exists(const char *dir, const char *file);
/* Parses the first number in the file; "max" reads as -1. Returns false if unreadable. */
bool cg_read_i64(const char *dir, const char *file, int64_t *out);

/* JSON accessors following runc's rule: absent and null mean "not given". */
bool res_i64(const cJSON *obj, const char *key, int64_t *out);
bool res_u64(const cJSON *obj, const char *key, uint64_t *out);
bool res_bool(const cJSON *obj, const char *key, bool *out);
const char *res_str(const cJSON *obj, const char *key);

/* Rejects wrongly typed fields of an OCI LinuxResources object, naming them. */
int cgroup_check_resources(const cJSON *res, bottle_error_t *err);
/* Enables controllers (all available, or only `only`) in cgroup.subtree_control
 * of every ancestor of dir below mountpoint. Best effort. */
void cgroup_v2_delegate(const char *mountpoint, const char *dir, const char *only);

/* Resource application per cgroup version; `creating` also applies device rules. */
int cgroup_v1_apply(const struct cgroup *cg, const cJSON *res, bool creating, bottle_error_t *err);
int cgroup_v2_apply(const struct cgroup *cg, const cJSON *res, bool creating, bottle_error_t *err);
/* Device rules of a create: the spec's linux.resources.devices followed by
 * runc's default allow list; returns a new array. */
cJSON *cgroup_device_rules(const cJSON *res);
/* v2 devices: loads and attaches a BPF_PROG_TYPE_CGROUP_DEVICE program. */
int cgroup_v2_devices(const char *dir, const cJSON *rules, bottle_error_t *err);

cJSON *cgroup_v1_stats(const struct cgroup *cg, bottle_error_t *err);
cJSON *cgroup_v2_stats(const char *dir, bottle_error_t *err);

#endif

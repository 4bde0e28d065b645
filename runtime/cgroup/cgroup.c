/* A container's cgroup with the cgroupfs driver: creating it, moving processes in, applying
 * resources again, removing it. Where it lives on this host (v1, v2 or hybrid) is found by
 * cgroup_hosts.c, resource files are written by cgroup_v1.c / cgroup_v2.c, and freezing,
 * processes, stats and the saved state have their own files (cgroup_freezer.c,
 * cgroup_procs.c, cgroup_stats.c, cgroup_state.c).
 *
 * Path rules (runc's cgroupfs driver): an absolute cgroupsPath is taken
 * relative to each hierarchy's mount point; a relative one is joined to the
 * runtime's own cgroup in that hierarchy. An empty cgroupsPath gives
 * /bottle/<id>, not runc's "<own cgroup>/<id>": the runtime's own cgroup may be
 * a limited or process-holding cgroup (on v2 the no-internal-process rule would
 * then forbid enabling controllers), and a fixed place is easier to find. */
#include "runtime/cgroup/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

/* mkdir -p below `top`, calling `fresh` for every directory on the way
 * (created or not) so v1 cpuset can fill empty cpus/mems. */
static int mkdir_below(const char *top, const char *dir,
                       void (*fresh)(const char *parent, const char *d), bottle_error_t *err)
{
  size_t tl = strlen(top);
  cleanup_free char *p = strdup(dir);
  if (p == NULL)
    return berr(err, ENOMEM, "cgroup: mkdir");
  for (char *s = p + tl; s && *s;) {
    char *slash = strchr(s + 1, '/');
    if (slash)
      *slash = '\0';
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
      return berr(err, errno, "mkdir %s", p);
    if (fresh) {
      char *last = strrchr(p, '/');
      *last = '\0';
      cleanup_free char *parent = strdup(p);
      *last = '/';
      if (parent)
        fresh(parent, p);
    }
    if (slash)
      *slash = '/';
    s = slash;
  }
  return 0;
}

/* A new v1 cpuset directory starts with empty cpus/mems, and the kernel
 * then refuses tasks with ENOSPC: copy the parent's. */
static void cpuset_inherit(const char *parent, const char *dir)
{
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  for (size_t i = 0; i < 2; i++) {
    cleanup_free char *mine = cg_read(dir, files[i]);
    if (mine && mine[0] != '\0')
      continue;
    cleanup_free char *theirs = cg_read(parent, files[i]);
    if (theirs && theirs[0] != '\0') {
      bottle_error_t ignored = {0};
      cg_write(dir, files[i], theirs, &ignored);
      berr_clear(&ignored);
    }
  }
}

static int systemd_refusal(const char *cgroups_path, bottle_error_t *err)
{
  const char *p = cgroups_path ? cgroups_path : "";
  const char *c1 = strchr(p, ':');
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (p[0] != '\0' && (c2 == NULL || strchr(c2 + 1, ':') != NULL))
    return berr(err, 0,
                "linux.cgroupsPath \"%s\": the systemd cgroup driver expects \"slice:prefix:name\"",
                p);
  return berr(
      err, 0,
      "linux.cgroupsPath \"%s\": the systemd cgroup driver (--systemd-cgroup) needs systemd "
      "over D-Bus, which bottle does not support; use the cgroupfs driver (dockerd: "
      "exec-opts [\"native.cgroupdriver=cgroupfs\"]; containerd: SystemdCgroup = false)",
      p);
}

int cgroup_create(const char *id, const char *cgroups_path, bool systemd, const cJSON *resources,
                  struct cgroup **out, bottle_error_t *err)
{
  if (systemd)
    return systemd_refusal(cgroups_path, err);
  if (cgroup_check_resources(resources, err) < 0)
    return -1;
  struct cgroup *cg = NULL;
  if (cgroup_resolve(id, cgroups_path, &cg, err) < 0)
    return -1;
  for (size_t i = 0; i < cg->n_hier; i++) {
    const char *top = cg->hier[i].mount;
    bool cpuset = cgroup_controller_listed(cg->hier[i].controllers, "cpuset");
    if (top == NULL) {
      berr(err, EINVAL, "%s: the cgroup was loaded from state, not created", cg->hier[i].dir);
      goto fail;
    }
    if (mkdir_below(top, cg->hier[i].dir, cpuset ? cpuset_inherit : NULL, err) < 0)
      goto fail;
  }
  if (cg->unified) {
    const char *top = cg->unified_mount;
    bottle_error_t soft = {0};
    if (top == NULL || mkdir_below(top, cg->unified, NULL, cg->unified_only ? err : &soft) < 0) {
      berr_clear(&soft);
      if (cg->unified_only) {
        berr(err, ENOMEM, "mkdir %s", cg->unified);
        goto fail;
      }
      /* hybrid: the unified hierarchy is only joined when we can */
      free(cg->unified);
      cg->unified = NULL;
    } else if (cg->unified_only) {
      cgroup_v2_delegate(top, cg->unified, NULL);
    }
  }
  {
    /* Without linux.resources runc still confines devices (deny all, then
     * its default list), so an empty object is applied, not nothing. */
    cleanup_cjson cJSON *none = NULL;
    if (resources == NULL || !cJSON_IsObject(resources))
      resources = none = cJSON_CreateObject();
    int rc = cg->unified_only ? cgroup_v2_apply(cg, resources, true, err)
                              : cgroup_v1_apply(cg, resources, true, err);
    if (rc < 0)
      goto fail;
  }
  *out = cg;
  return 0;
fail:
  berr_wrap(err, "cgroup");
  {
    bottle_error_t ignored = {0};
    cgroup_destroy(cg, &ignored);
    berr_clear(&ignored);
  }
  cgroup_free(cg);
  return -1;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid, bottle_error_t *err)
{
  return cgroup_enter_sub(cg, pid, NULL, 0, err);
}

/* The sub-cgroup that subs give a hierarchy holding `controllers` (NULL: the unified one). */
static const char *sub_for(const char *const *subs, size_t n, const char *controllers)
{
  const char *any = NULL;
  for (size_t i = 0; i < n; i++) {
    const char *colon = strchr(subs[i], ':');
    if (colon == NULL) {
      any = subs[i];
      continue;
    }
    cleanup_free char *list = xasprintf("%.*s", (int)(colon - subs[i]), subs[i]);
    char *save = NULL;
    for (char *c = strtok_r(list, ",", &save); c && controllers; c = strtok_r(NULL, ",", &save))
      if (cgroup_controller_listed(controllers, c))
        return colon + 1;
  }
  return any;
}

static int check_sub(const char *entry, bottle_error_t *err)
{
  const char *colon = strchr(entry, ':');
  const char *path = colon ? colon + 1 : entry;
  bool dotdot = false;
  for (const char *p = path; *p; p++)
    if ((p == path || p[-1] == '/') && p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
      dotdot = true;
  if (*path == '\0' || dotdot)
    return berr(err, 0,
                "exec --cgroup %s: needs a path below the container's cgroup, without \"..\"",
                entry);
  return 0;
}

static int join_dir(const char *dir, const char *sub, pid_t pid, bottle_error_t *err)
{
  if (sub == NULL)
    return cg_writef(dir, "cgroup.procs", err, "%d", (int)pid);
  cleanup_free char *full = xasprintf("%s/%s", dir, sub);
  struct stat st;
  if (stat(full, &st) < 0)
    return berr(err, errno, "exec --cgroup: sub-cgroup %s", full);
  return cg_writef(full, "cgroup.procs", err, "%d", (int)pid);
}

int cgroup_enter_sub(const struct cgroup *cg, pid_t pid, const char *const *subs, size_t n,
                     bottle_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (check_sub(subs[i], err) < 0)
      return -1;
  for (size_t i = 0; i < cg->n_hier; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(cg->hier[i].dir, cg->hier[j].dir) == 0;
    if (!seen && join_dir(cg->hier[i].dir, sub_for(subs, n, cg->hier[i].controllers), pid, err) < 0)
      return berr_wrap(err, "cgroup: join %s", cg->hier[i].controllers);
  }
  if (cg->unified) {
    bottle_error_t soft = {0};
    int rc = join_dir(cg->unified, sub_for(subs, n, NULL), pid, cg->unified_only ? err : &soft);
    berr_clear(&soft);
    if (rc < 0 && cg->unified_only)
      return berr_wrap(err, "cgroup: join");
  }
  return 0;
}

int cgroup_update(const struct cgroup *cg, const cJSON *resources, bottle_error_t *err)
{
  if (resources == NULL || cJSON_IsNull(resources))
    return 0;
  if (!cJSON_IsObject(resources))
    return berr(err, 0, "update: resources must be a JSON object (OCI LinuxResources)");
  if (cgroup_check_resources(resources, err) < 0)
    return -1;
  int rc = cg->unified_only ? cgroup_v2_apply(cg, resources, false, err)
                            : cgroup_v1_apply(cg, resources, false, err);
  return rc < 0 ? berr_wrap(err, "cgroup: update") : 0;
}

/* ---- removal ---- */

static int rmdir_tree(const char *dir, bottle_error_t *err)
{
  /* Usually a leaf: try that first and only list the directory (for child
   * cgroups) when the kernel refuses. */
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : berr(err, errno, "open %s", dir);
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    cleanup_free char *sub = xasprintf("%s/%s", dir, de->d_name);
    rc = rmdir_tree(sub, err);
  }
  closedir(d);
  if (rc < 0)
    return rc;
  /* EBUSY while the last processes are still exiting (usually well under a millisecond
   * once init is seen gone): back off from 1 ms, about two seconds in all. */
  long delay = 1;
  for (int attempt = 0;; attempt++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY || attempt >= 11)
      return berr(err, errno, "rmdir %s", dir);
    sleep_ms(delay);
    delay *= 2;
  }
}

int cgroup_destroy(struct cgroup *cg, bottle_error_t *err)
{
  if (cg == NULL)
    return 0;
  int rc = 0;
  for (size_t i = 0; i < cg->n_hier; i++) {
    if (rmdir_tree(cg->hier[i].dir, err) < 0 && rc == 0)
      rc = berr_wrap(err, "cgroup: remove %s", cg->hier[i].controllers);
  }
  if (cg->unified) {
    bottle_error_t soft = {0};
    if (rmdir_tree(cg->unified, cg->unified_only ? err : &soft) < 0 && cg->unified_only && rc == 0)
      rc = berr_wrap(err, "cgroup: remove");
    berr_clear(&soft);
  }
  return rc;
}

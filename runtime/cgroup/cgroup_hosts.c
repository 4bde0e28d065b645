/* Discovering the host's cgroup hierarchies (v1, v2 or hybrid) from /proc/self/mountinfo, and
 * where a container's cgroup lies in each: the path rules are in cgroup.c's comment. */
#include "runtime/cgroup/cgroup_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

struct mount_entry {
  char *controllers; /* v1: "cpu,cpuacct" / "name=systemd"; v2: "" */
  char *root;        /* root of the mount inside the hierarchy */
  char *mountpoint;
};

struct host_mounts {
  size_t n;
  struct mount_entry *m;
  struct mount_entry *unified;
};

static void host_mounts_free(struct host_mounts *hm)
{
  for (size_t i = 0; i < hm->n; i++) {
    free(hm->m[i].controllers);
    free(hm->m[i].root);
    free(hm->m[i].mountpoint);
  }
  free(hm->m);
  hm->m = NULL;
  hm->n = 0;
  hm->unified = NULL;
}

/* The kernel's cgroup subsystems, read from /proc/cgroups once per process:
 * every super option of every cgroup mount is checked against them, and the
 * list cannot change while we run (controllers are not loadable modules). */
static char subsystem_names[1024]; /* " cpuset cpu ... " */

static void read_subsystems(void)
{
  char *names = subsystem_names;
  cleanup_fclose FILE *f = fopen("/proc/cgroups", "re");
  if (f == NULL)
    return;
  char line[256];
  size_t len = 0;
  names[len++] = ' ';
  while (fgets(line, sizeof(line), f)) {
    char sub[64];
    if (line[0] == '#' || sscanf(line, "%63s", sub) != 1)
      continue;
    size_t n = strlen(sub);
    if (len + n + 2 > sizeof(subsystem_names))
      break;
    memcpy(names + len, sub, n);
    len += n;
    names[len++] = ' ';
  }
  names[len] = '\0';
}

/* Once per process, also when cgroup_warm's thread is the first to ask. */
static const char *kernel_subsystems(void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, read_subsystems);
  return subsystem_names;
}

static bool kernel_subsystem(const char *name)
{
  char word[66];
  if (snprintf(word, sizeof(word), " %s ", name) >= (int)sizeof(word))
    return false;
  return strstr(kernel_subsystems(), word) != NULL;
}

/* Keeps the super options that name controllers, in the kernel's order. */
static char *v1_controllers(const char *superopts)
{
  cleanup_free char *copy = strdup(superopts);
  char *out = calloc(1, strlen(superopts) + 1);
  if (copy == NULL || out == NULL) {
    free(out);
    return NULL;
  }
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (strncmp(tok, "name=", 5) == 0 || kernel_subsystem(tok)) {
      if (*out)
        strcat(out, ",");
      strcat(out, tok);
    }
  }
  return out;
}

/* Every controller of the comma-separated list `of` is listed in `in`. */
static bool controllers_within(const char *of, const char *in)
{
  for (const char *p = of; p && *p;) {
    const char *comma = strchr(p, ',');
    char one[64];
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n >= sizeof(one))
      return false;
    memcpy(one, p, n);
    one[n] = '\0';
    if (!cgroup_controller_listed(in, one))
      return false;
    p = comma ? comma + 1 : NULL;
  }
  return true;
}

static bool same_controller_set(const char *a, const char *b)
{
  return controllers_within(a, b) && controllers_within(b, a);
}

static int read_host_mounts(struct host_mounts *hm, bottle_error_t *err)
{
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berr(err, errno, "cgroup: open /proc/self/mountinfo");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
    char *sep = strstr(line, " - ");
    if (sep == NULL)
      continue;
    char fstype[32], source[256], superopts[1024];
    if (sscanf(sep + 3, "%31s %255s %1023s", fstype, source, superopts) != 3)
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if (!v2 && strcmp(fstype, "cgroup") != 0)
      continue;
    char root[4096], mnt[4096];
    if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
      continue;
    mountinfo_unescape(root);
    mountinfo_unescape(mnt);
    char *ctrls = v2 ? strdup("") : v1_controllers(superopts);
    if (ctrls == NULL)
      return berr(err, ENOMEM, "cgroup: mountinfo");
    bool dup = false;
    for (size_t i = 0; i < hm->n && !dup; i++) {
      bool other_v2 = hm->m[i].controllers[0] == '\0';
      dup = v2 ? other_v2 : (!other_v2 && same_controller_set(hm->m[i].controllers, ctrls));
    }
    if (dup || (!v2 && ctrls[0] == '\0')) {
      free(ctrls);
      continue;
    }
    struct mount_entry *m = realloc(hm->m, (hm->n + 1) * sizeof(*m));
    if (m == NULL) {
      free(ctrls);
      return berr(err, ENOMEM, "cgroup: mountinfo");
    }
    hm->m = m;
    m[hm->n] = (struct mount_entry){ctrls, strdup(root), strdup(mnt)};
    if (m[hm->n].root == NULL || m[hm->n].mountpoint == NULL) {
      hm->n++;
      return berr(err, ENOMEM, "cgroup: mountinfo");
    }
    hm->n++;
  }
  for (size_t i = 0; i < hm->n; i++)
    if (hm->m[i].controllers[0] == '\0')
      hm->unified = &hm->m[i];
  if (hm->n == 0)
    return berr(err, 0, "cgroup: no cgroup filesystem is mounted (looked in /proc/self/mountinfo)");
  return 0;
}

/* The runtime's own cgroup in the hierarchy with these controllers ("" = v2). */
static char *own_cgroup(const char *controllers)
{
  cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c1 = '\0';
    *c2 = '\0';
    const char *ctrls = c1 + 1;
    bool match = controllers[0] == '\0'
                     ? (ctrls[0] == '\0' && strcmp(line, "0") == 0)
                     : (ctrls[0] != '\0' && same_controller_set(ctrls, controllers));
    if (match)
      return strdup(c2 + 1);
  }
  return NULL;
}

char *cgroup_path_clean(const char *in)
{
  size_t len = strlen(in);
  char *out = malloc(len + 2);
  if (out == NULL)
    return NULL;
  size_t o = 0;
  out[o++] = '/';
  for (const char *p = in; *p;) {
    while (*p == '/')
      p++;
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0)
      break;
    if (n == 1 && p[0] == '.') {
      /* skip */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (o > 1 && out[o - 1] != '/')
        o--;
      if (o > 1)
        o--;
    } else {
      if (o > 1)
        out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p += n;
  }
  out[o] = '\0';
  return out;
}

static char *join_dir(const struct mount_entry *m, const char *cgpath, bool relative,
                      bottle_error_t *err)
{
  cleanup_free char *base = NULL;
  if (relative) {
    cleanup_free char *own = own_cgroup(m->controllers);
    if (own == NULL) {
      berr(err, 0, "cgroup: cannot find the runtime's own cgroup for %s in /proc/self/cgroup",
           m->controllers[0] ? m->controllers : "cgroup2");
      return NULL;
    }
    /* Seen from a cgroup namespace, the mount root may be a prefix of our path. */
    const char *inside = own;
    size_t rl = strlen(m->root);
    if (strcmp(m->root, "/") != 0 && strncmp(own, m->root, rl) == 0 &&
        (own[rl] == '/' || own[rl] == '\0'))
      inside = own + rl;
    base = xasprintf("%s%s", inside, cgpath);
  } else {
    base = strdup(cgpath);
  }
  cleanup_free char *clean = base ? cgroup_path_clean(base) : NULL;
  if (clean == NULL) {
    berr(err, ENOMEM, "cgroup");
    return NULL;
  }
  return xasprintf("%s%s", m->mountpoint, clean);
}

int cgroup_resolve(const char *id, const char *cgroups_path, struct cgroup **out,
                   bottle_error_t *err)
{
  struct host_mounts hm = {0};
  if (read_host_mounts(&hm, err) < 0) {
    host_mounts_free(&hm);
    return -1;
  }
  bool relative = cgroups_path && cgroups_path[0] != '\0' && cgroups_path[0] != '/';
  cleanup_free char *given = NULL;
  if (cgroups_path == NULL || cgroups_path[0] == '\0') {
    given = xasprintf("/bottle/%s", id);
  } else {
    given = strdup(cgroups_path);
  }
  cleanup_free char *cgpath = given ? cgroup_path_clean(given) : NULL;
  if (cgpath == NULL) {
    host_mounts_free(&hm);
    return berr(err, ENOMEM, "cgroup");
  }
  if (strcmp(cgpath, "/") == 0) {
    host_mounts_free(&hm);
    return berr(err, 0,
                "linux.cgroupsPath \"%s\" names the root cgroup; give the container its own path "
                "such as \"/bottle/%s\"",
                cgroups_path ? cgroups_path : "", id);
  }
  struct cgroup *cg = calloc(1, sizeof(*cg));
  if (cg == NULL || (cg->path = strdup(cgpath)) == NULL) {
    cgroup_free(cg);
    host_mounts_free(&hm);
    return berr(err, ENOMEM, "cgroup");
  }
  bool any_v1 = false;
  for (size_t i = 0; i < hm.n; i++)
    any_v1 |= hm.m[i].controllers[0] != '\0';
  cg->unified_only = !any_v1;
  for (size_t i = 0; i < hm.n; i++) {
    bool extra_unified = any_v1 && hm.m[i].controllers[0] == '\0';
    bottle_error_t soft = {0};
    char *dir = join_dir(&hm.m[i], cgpath, relative, extra_unified ? &soft : err);
    berr_clear(&soft);
    if (dir == NULL && extra_unified)
      continue; /* hybrid: the unified tree is joined only when we can */
    if (dir == NULL) {
      cgroup_free(cg);
      host_mounts_free(&hm);
      return -1;
    }
    int rc = 0;
    if (hm.m[i].controllers[0] == '\0') {
      cg->unified = dir;
      rc = (cg->unified_mount = strdup(hm.m[i].mountpoint)) ? 0 : -1;
    } else {
      rc = cgroup_add_hierarchy(cg, hm.m[i].controllers, dir);
      free(dir);
      if (rc == 0)
        rc = (cg->hier[cg->n_hier - 1].mount = strdup(hm.m[i].mountpoint)) ? 0 : -1;
    }
    if (rc < 0) {
      cgroup_free(cg);
      host_mounts_free(&hm);
      return berr(err, ENOMEM, "cgroup");
    }
  }
  host_mounts_free(&hm);
  *out = cg;
  return 0;
}

char *cgroup_own_procs_file(void)
{
  struct host_mounts hm = {0};
  bottle_error_t ignored = {0};
  char *file = NULL;
  if (read_host_mounts(&hm, &ignored) == 0) {
    cleanup_free char *dir = join_dir(&hm.m[0], "", true, &ignored);
    if (dir != NULL)
      file = xasprintf("%s/cgroup.procs", dir);
  }
  berr_clear(&ignored);
  host_mounts_free(&hm);
  return file;
}

char *cgroup_unified_mount_of(const char *dir)
{
  struct host_mounts hm = {0};
  bottle_error_t ignored = {0};
  char *mount = NULL;
  if (read_host_mounts(&hm, &ignored) == 0 && hm.unified) {
    size_t ml = strlen(hm.unified->mountpoint);
    if (strncmp(dir, hm.unified->mountpoint, ml) == 0 && dir[ml] == '/')
      mount = strdup(hm.unified->mountpoint);
  }
  berr_clear(&ignored);
  host_mounts_free(&hm);
  return mount;
}

/* A container's cgroup with the cgroupfs driver: where it lives on this host
 * (v1, v2 or hybrid), creating and removing it, moving processes in, and
 * freezing. Resource files are written by cgroup_v1.c / cgroup_v2.c.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"

#define CGROUP_JSON_VERSION 1

static void sleep_ms(long ms)
{
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

bool cgroup_controller_listed(const char *list, const char *name)
{
  size_t len = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == len && strncmp(p, name, n) == 0)
      return true;
    p = comma ? comma + 1 : NULL;
  }
  return false;
}

const char *cgroup_v1_dir(const struct cgroup *cg, const char *name)
{
  for (size_t i = 0; i < cg->n_hier; i++)
    if (cgroup_controller_listed(cg->hier[i].controllers, name))
      return cg->hier[i].dir;
  return NULL;
}

void cgroup_free(struct cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n_hier; i++) {
    free(cg->hier[i].controllers);
    free(cg->hier[i].dir);
    free(cg->hier[i].mount);
  }
  free(cg->hier);
  free(cg->unified);
  free(cg->unified_mount);
  free(cg->path);
  free(cg);
}

static int add_hierarchy(struct cgroup *cg, const char *controllers, const char *dir)
{
  struct cgroup_hierarchy *h = realloc(cg->hier, (cg->n_hier + 1) * sizeof(*h));
  if (h == NULL)
    return -1;
  cg->hier = h;
  h[cg->n_hier].mount = NULL;
  h[cg->n_hier].controllers = strdup(controllers);
  h[cg->n_hier].dir = strdup(dir);
  if (h[cg->n_hier].controllers == NULL || h[cg->n_hier].dir == NULL) {
    free(h[cg->n_hier].controllers);
    free(h[cg->n_hier].dir);
    return -1;
  }
  cg->n_hier++;
  return 0;
}

/* ---- discovering the host's hierarchies ---- */

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

/* Undoes mountinfo's octal escapes (\040 for a space). */
static void unescape_octal(char *s)
{
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
        r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
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
    unescape_octal(root);
    unescape_octal(mnt);
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

/* Lexically cleans `in` into an absolute path ("/" + in for relative ones),
 * never climbing above "/", like Go's filepath.Clean. */
static char *clean_path(const char *in)
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
    if (asprintf(&base, "%s%s", inside, cgpath) < 0)
      base = NULL;
  } else {
    base = strdup(cgpath);
  }
  cleanup_free char *clean = base ? clean_path(base) : NULL;
  char *dir = NULL;
  if (clean == NULL || asprintf(&dir, "%s%s", m->mountpoint, clean) < 0) {
    berr(err, ENOMEM, "cgroup");
    return NULL;
  }
  return dir;
}

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
      bottle_error_t ignored = NULL;
      cg_write(dir, files[i], theirs, &ignored);
      berr_free(&ignored);
    }
  }
}

static bool word_listed(const char *words, const char *w)
{
  size_t n = strlen(w);
  for (const char *hit = words ? strstr(words, w) : NULL; hit; hit = strstr(hit + 1, w))
    if ((hit == words || hit[-1] == ' ') && (hit[n] == '\0' || hit[n] == ' ' || hit[n] == '\n'))
      return true;
  return false;
}

static void delegate_one(const char *cgdir, const char *only)
{
  cleanup_free char *avail = cg_read(cgdir, "cgroup.controllers");
  cleanup_free char *have = cg_read(cgdir, "cgroup.subtree_control");
  char *save = NULL;
  for (char *c = avail ? strtok_r(avail, " ", &save) : NULL; c; c = strtok_r(NULL, " ", &save)) {
    if ((only && strcmp(c, only) != 0) || word_listed(have, c))
      continue;
    /* fails for a cgroup with processes of its own (no internal
     * processes rule); the resource write then names the controller */
    bottle_error_t ignored = NULL;
    cg_writef(cgdir, "cgroup.subtree_control", &ignored, "+%s", c);
    berr_free(&ignored);
  }
}

/* v2: the mount root and every ancestor of dir must delegate the
 * controllers they have (`only` limits this to one controller). */
void cgroup_v2_delegate(const char *mountpoint, const char *dir, const char *only)
{
  size_t ml = strlen(mountpoint);
  if (strncmp(dir, mountpoint, ml) != 0 || dir[ml] != '/')
    return;
  cleanup_free char *p = strdup(dir);
  if (p == NULL)
    return;
  char *leaf = strrchr(p, '/');
  *leaf = '\0'; /* p is now the container's parent, the last one that delegates */
  delegate_one(mountpoint, only);
  for (char *s = p + ml; s < leaf;) {
    char *slash = strchr(s + 1, '/');
    if (slash)
      *slash = '\0';
    delegate_one(p, only);
    if (slash == NULL)
      break;
    *slash = '/';
    s = slash;
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

static int resolve(const char *id, const char *cgroups_path, struct cgroup **out,
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
    if (asprintf(&given, "/bottle/%s", id) < 0)
      given = NULL;
  } else {
    given = strdup(cgroups_path);
  }
  cleanup_free char *cgpath = given ? clean_path(given) : NULL;
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
    bottle_error_t soft = NULL;
    char *dir = join_dir(&hm.m[i], cgpath, relative, extra_unified ? &soft : err);
    berr_free(&soft);
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
      rc = add_hierarchy(cg, hm.m[i].controllers, dir);
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
  bottle_error_t ignored = NULL;
  char *file = NULL;
  if (read_host_mounts(&hm, &ignored) == 0) {
    cleanup_free char *dir = join_dir(&hm.m[0], "", true, &ignored);
    if (dir != NULL && asprintf(&file, "%s/cgroup.procs", dir) < 0)
      file = NULL;
  }
  berr_free(&ignored);
  host_mounts_free(&hm);
  return file;
}

static int rmdir_tree(const char *dir, bottle_error_t *err);

int cgroup_create(const char *id, const char *cgroups_path, bool systemd, const cJSON *resources,
                  struct cgroup **out, bottle_error_t *err)
{
  if (systemd)
    return systemd_refusal(cgroups_path, err);
  if (cgroup_check_resources(resources, err) < 0)
    return -1;
  struct cgroup *cg = NULL;
  if (resolve(id, cgroups_path, &cg, err) < 0)
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
    bottle_error_t soft = NULL;
    if (top == NULL || mkdir_below(top, cg->unified, NULL, cg->unified_only ? err : &soft) < 0) {
      berr_free(&soft);
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
    bottle_error_t ignored = NULL;
    cgroup_destroy(cg, &ignored);
    berr_free(&ignored);
  }
  cgroup_free(cg);
  return -1;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid, bottle_error_t *err)
{
  for (size_t i = 0; i < cg->n_hier; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(cg->hier[i].dir, cg->hier[j].dir) == 0;
    if (!seen && cg_writef(cg->hier[i].dir, "cgroup.procs", err, "%d", (int)pid) < 0)
      return berr_wrap(err, "cgroup: join %s", cg->hier[i].controllers);
  }
  if (cg->unified) {
    bottle_error_t soft = NULL;
    int rc = cg_writef(cg->unified, "cgroup.procs", cg->unified_only ? err : &soft, "%d", (int)pid);
    berr_free(&soft);
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

/* ---- freezer ---- */

/* v2 (and hybrid without a v1 freezer) use cgroup.freeze in the unified dir. */
static const char *v2_freezer_dir(const struct cgroup *cg)
{
  if (cg->unified && cg_exists(cg->unified, "cgroup.freeze"))
    return cg->unified;
  return NULL;
}

static bool v2_frozen(const char *dir)
{
  cleanup_free char *events = cg_read(dir, "cgroup.events");
  if (events == NULL)
    return false;
  const char *f = strstr(events, "frozen ");
  return f && (f == events || f[-1] == '\n') && f[7] == '1';
}

int cgroup_freeze(const struct cgroup *cg, bool frozen, bottle_error_t *err)
{
  const char *v1 = cg->unified_only ? NULL : cgroup_v1_dir(cg, "freezer");
  if (v1) {
    const char *want = frozen ? "FROZEN" : "THAWED";
    /* FREEZING can persist while a task sits in an uninterruptible
     * sleep; writing FROZEN again retries the freeze. */
    long delay = 1;
    for (int attempt = 0; attempt < 1000; attempt++) {
      if (cg_write(v1, "freezer.state", want, err) < 0)
        return berr_wrap(err, "cgroup: %s", frozen ? "pause" : "resume");
      cleanup_free char *state = cg_read(v1, "freezer.state");
      if (state && strcmp(state, want) == 0)
        return 0;
      sleep_ms(delay);
      if (delay < 10)
        delay++;
    }
    if (frozen) {
      bottle_error_t ignored = NULL;
      cg_write(v1, "freezer.state", "THAWED", &ignored);
      berr_free(&ignored);
    }
    return berr(err, EBUSY, "cgroup: %s: %s/freezer.state did not reach %s",
                frozen ? "pause" : "resume", v1, want);
  }
  const char *v2 = v2_freezer_dir(cg);
  if (v2 == NULL)
    return berr(err, EOPNOTSUPP,
                "cgroup: %s: no freezer (neither a v1 freezer hierarchy nor cgroup.freeze)",
                frozen ? "pause" : "resume");
  if (cg_write(v2, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return berr_wrap(err, "cgroup: %s", frozen ? "pause" : "resume");
  for (int attempt = 0; attempt < 2000; attempt++) {
    if (v2_frozen(v2) == frozen)
      return 0;
    sleep_ms(attempt < 10 ? 1 : 5);
  }
  return berr(err, EBUSY, "cgroup: %s: %s/cgroup.events never reported frozen %d",
              frozen ? "pause" : "resume", v2, frozen ? 1 : 0);
}

bool cgroup_is_frozen(const struct cgroup *cg)
{
  const char *v1 = cg->unified_only ? NULL : cgroup_v1_dir(cg, "freezer");
  if (v1) {
    cleanup_free char *state = cg_read(v1, "freezer.state");
    return state && strcmp(state, "FROZEN") == 0;
  }
  const char *v2 = v2_freezer_dir(cg);
  if (v2 == NULL)
    return false;
  cleanup_free char *want = cg_read(v2, "cgroup.freeze");
  return want && strcmp(want, "1") == 0 && v2_frozen(v2);
}

/* ---- processes ---- */

/* The directory whose cgroup.procs lists the container's processes. */
static const char *procs_dir(const struct cgroup *cg)
{
  if (cg->unified_only)
    return cg->unified;
  static const char *const prefer[] = {"pids", "freezer", "memory", "devices", "cpu"};
  for (size_t i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++) {
    const char *d = cgroup_v1_dir(cg, prefer[i]);
    if (d)
      return d;
  }
  return cg->n_hier ? cg->hier[0].dir : cg->unified;
}

struct pid_list {
  pid_t *v;
  size_t n, cap;
};

static int collect_pids(const char *dir, struct pid_list *pl, int depth)
{
  cleanup_free char *procs = cg_read(dir, "cgroup.procs");
  if (procs == NULL)
    return errno == ENOENT ? 0 : -1;
  for (char *p = procs; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p)
      break;
    if (pl->n == pl->cap) {
      size_t cap = pl->cap ? pl->cap * 2 : 64;
      pid_t *bigger = realloc(pl->v, cap * sizeof(*bigger));
      if (bigger == NULL)
        return -1;
      pl->v = bigger;
      pl->cap = cap;
    }
    pl->v[pl->n++] = (pid_t)v;
    p = end;
    while (*p == '\n')
      p++;
  }
  if (depth > 32)
    return 0;
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    cleanup_free char *sub = NULL;
    if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0) {
      rc = -1;
      break;
    }
    rc = collect_pids(sub, pl, depth + 1);
  }
  closedir(d);
  return rc;
}

static int pid_cmp(const void *a, const void *b)
{
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, bottle_error_t *err)
{
  struct pid_list pl = {0};
  const char *dir = procs_dir(cg);
  if (dir == NULL)
    return berr(err, ENOENT, "cgroup: no directory to list processes from");
  if (collect_pids(dir, &pl, 0) < 0) {
    int e = errno;
    free(pl.v);
    return berr(err, e, "cgroup: read %s/cgroup.procs", dir);
  }
  if (pl.n > 1) /* qsort(NULL, 0, ...) is undefined (UBSan aborts on it) */
    qsort(pl.v, pl.n, sizeof(*pl.v), pid_cmp);
  size_t w = 0;
  for (size_t i = 0; i < pl.n; i++)
    if (w == 0 || pl.v[w - 1] != pl.v[i])
      pl.v[w++] = pl.v[i];
  *pids = pl.v;
  *n = w;
  return 0;
}

int cgroup_signal_all(const struct cgroup *cg, int sig, bottle_error_t *err)
{
  /* Freeze first so nothing forks between listing and signalling. */
  bool was_frozen = cgroup_is_frozen(cg);
  bottle_error_t soft = NULL;
  bool froze = was_frozen || cgroup_freeze(cg, true, &soft) == 0;
  berr_free(&soft);
  pid_t *pids = NULL;
  size_t n = 0;
  int rc = cgroup_pids(cg, &pids, &n, err);
  if (rc == 0) {
    for (size_t i = 0; i < n; i++)
      if (kill(pids[i], sig) < 0 && errno != ESRCH) {
        rc = berr(err, errno, "cgroup: kill %d with signal %d", (int)pids[i], sig);
        break;
      }
  }
  free(pids);
  /* A paused container stays paused unless the signal is SIGKILL, which a
   * frozen v1 task cannot act on until thawed. */
  if (froze && (!was_frozen || sig == SIGKILL)) {
    cgroup_freeze(cg, false, &soft);
    berr_free(&soft);
  }
  return rc;
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
    cleanup_free char *sub = NULL;
    if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0) {
      rc = berr(err, ENOMEM, "rmdir");
      break;
    }
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
    bottle_error_t soft = NULL;
    if (rmdir_tree(cg->unified, cg->unified_only ? err : &soft) < 0 && cg->unified_only && rc == 0)
      rc = berr_wrap(err, "cgroup: remove");
    berr_free(&soft);
  }
  return rc;
}

/* ---- persistence ---- */

cJSON *cgroup_to_json(const struct cgroup *cg)
{
  cJSON *j = cJSON_CreateObject();
  cJSON *paths = cJSON_CreateObject();
  if (j == NULL || paths == NULL) {
    cJSON_Delete(j);
    cJSON_Delete(paths);
    return NULL;
  }
  cJSON_AddNumberToObject(j, "version", CGROUP_JSON_VERSION);
  cJSON_AddStringToObject(j, "path", cg->path);
  cJSON_AddStringToObject(j, "mode", cg->unified_only ? "v2" : (cg->unified ? "hybrid" : "v1"));
  /* runc's cgroup_paths shape: one key per controller, "" for the unified hierarchy. */
  for (size_t i = 0; i < cg->n_hier; i++) {
    cleanup_free char *list = strdup(cg->hier[i].controllers);
    char *save = NULL;
    for (char *c = list ? strtok_r(list, ",", &save) : NULL; c; c = strtok_r(NULL, ",", &save))
      cJSON_AddStringToObject(paths, c, cg->hier[i].dir);
  }
  if (cg->unified)
    cJSON_AddStringToObject(paths, "", cg->unified);
  cJSON_AddItemToObject(j, "paths", paths);
  return j;
}

int cgroup_from_json(const cJSON *j, struct cgroup **out, bottle_error_t *err)
{
  const char *path = res_str(j, "path");
  const char *mode = res_str(j, "mode");
  const cJSON *paths = cJSON_GetObjectItemCaseSensitive(j, "paths");
  if (path == NULL || mode == NULL || !cJSON_IsObject(paths))
    return berr(err, EINVAL, "cgroup: saved state lacks path, mode or paths");
  struct cgroup *cg = calloc(1, sizeof(*cg));
  if (cg == NULL || (cg->path = strdup(path)) == NULL) {
    cgroup_free(cg);
    return berr(err, ENOMEM, "cgroup");
  }
  cg->unified_only = strcmp(mode, "v2") == 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, paths)
  {
    if (!cJSON_IsString(item) || item->valuestring[0] != '/') {
      cgroup_free(cg);
      return berr(err, EINVAL, "cgroup: saved path for \"%s\" is not an absolute path",
                  item->string ? item->string : "?");
    }
    if (item->string == NULL || item->string[0] == '\0') {
      free(cg->unified);
      if ((cg->unified = strdup(item->valuestring)) == NULL) {
        cgroup_free(cg);
        return berr(err, ENOMEM, "cgroup");
      }
      continue;
    }
    /* Co-mounted controllers share a directory: regroup them. */
    struct cgroup_hierarchy *h = NULL;
    for (size_t i = 0; i < cg->n_hier && !h; i++)
      if (strcmp(cg->hier[i].dir, item->valuestring) == 0)
        h = &cg->hier[i];
    if (h) {
      char *joined = NULL;
      if (asprintf(&joined, "%s,%s", h->controllers, item->string) < 0) {
        cgroup_free(cg);
        return berr(err, ENOMEM, "cgroup");
      }
      free(h->controllers);
      h->controllers = joined;
    } else if (add_hierarchy(cg, item->string, item->valuestring) < 0) {
      cgroup_free(cg);
      return berr(err, ENOMEM, "cgroup");
    }
  }
  if (cg->unified) {
    struct host_mounts hm = {0};
    bottle_error_t ignored = NULL;
    if (read_host_mounts(&hm, &ignored) == 0 && hm.unified) {
      size_t ml = strlen(hm.unified->mountpoint);
      if (strncmp(cg->unified, hm.unified->mountpoint, ml) == 0 && cg->unified[ml] == '/')
        cg->unified_mount = strdup(hm.unified->mountpoint);
    }
    berr_free(&ignored);
    host_mounts_free(&hm);
  }
  *out = cg;
  return 0;
}

cJSON *cgroup_stats(const struct cgroup *cg, bottle_error_t *err)
{
  cJSON *s = cg->unified_only ? cgroup_v2_stats(cg->unified, err) : cgroup_v1_stats(cg, err);
  if (s == NULL)
    berr_wrap(err, "cgroup: stats");
  return s;
}

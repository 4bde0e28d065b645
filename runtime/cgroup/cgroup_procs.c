/* The container's processes: listing them (sub-cgroups included) and signalling them all. */
#include "runtime/cgroup/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

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
    cleanup_free char *sub = xasprintf("%s/%s", dir, de->d_name);
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
  bottle_error_t soft = {0};
  bool froze = was_frozen || cgroup_freeze(cg, true, &soft) == 0;
  berr_clear(&soft);
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
    berr_clear(&soft);
  }
  return rc;
}

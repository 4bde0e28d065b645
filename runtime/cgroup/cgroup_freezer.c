/* Pausing and resuming: the v1 freezer hierarchy, else v2's cgroup.freeze. */
#include "runtime/cgroup/cgroup_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

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
      bottle_error_t ignored = {0};
      cg_write(v1, "freezer.state", "THAWED", &ignored);
      berr_clear(&ignored);
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

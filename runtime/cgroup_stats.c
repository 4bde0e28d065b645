/* runc `events --stats` data from cgroup files. */
#include "runtime/cgroup_internal.h"

#include <errno.h>

cJSON *cgroup_v1_stats(const struct cgroup *cg, bottle_error_t *err)
{
  berr(err, EOPNOTSUPP, "not yet");
  return NULL;
}

cJSON *cgroup_v2_stats(const char *dir, bottle_error_t *err)
{
  berr(err, EOPNOTSUPP, "not yet");
  return NULL;
}

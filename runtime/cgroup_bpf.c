/* cgroup v2 device control through a BPF_PROG_TYPE_CGROUP_DEVICE program. */
#include "runtime/cgroup_internal.h"

#include <errno.h>

int cgroup_v2_devices(const char *dir, const cJSON *rules, bottle_error_t *err)
{
  return berr(err, EOPNOTSUPP,
              "linux.resources.devices: device rules on cgroup v2 need an eBPF device program, "
              "which this build does not load yet (%s)",
              dir);
}

/* What a container is now (created, running, paused, stopped), judged from its init and its
 * cgroup, and the OCI state object the `state` verb prints. */
#include "runtime/container/container.h"

#include <fcntl.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/container/state.h"
#include "runtime/lib/util.h"

bool container_init_alive(const struct container *c)
{
  if (c->pid <= 0)
    return false;
  bool zombie = false;
  unsigned long long st = proc_start_time(c->pid, &zombie);
  return st != 0 && st == c->start_time && !zombie;
}

enum status container_status(const struct container *c)
{
  if (!container_init_alive(c))
    return STATUS_STOPPED;
  if (c->cgroup != NULL && cgroup_is_frozen(c->cgroup))
    return STATUS_PAUSED;
  if (faccessat(c->dirfd, EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return STATUS_CREATED;
  return STATUS_RUNNING;
}

const char *status_name(enum status s)
{
  switch (s) {
  case STATUS_CREATED:
    return "created";
  case STATUS_RUNNING:
    return "running";
  case STATUS_PAUSED:
    return "paused";
  default:
    return "stopped";
  }
}

cJSON *container_state_json(const struct container *c, enum status s, const char *owner)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "ociVersion", "1.0.2-dev");
  cJSON_AddStringToObject(o, "id", c->id);
  cJSON_AddNumberToObject(o, "pid", s == STATUS_STOPPED ? 0 : c->pid);
  cJSON_AddStringToObject(o, "status", status_name(s));
  cJSON_AddStringToObject(o, "bundle", c->bundle);
  cJSON_AddStringToObject(o, "rootfs", c->rootfs);
  cJSON_AddStringToObject(o, "created", c->created);
  cJSON *ann = cJSON_GetObjectItem(c->config, "annotations");
  if (cJSON_IsObject(ann) && ann->child != NULL)
    cJSON_AddItemToObject(o, "annotations", cJSON_Duplicate(ann, 1));
  cJSON_AddStringToObject(o, "owner", owner ? owner : "");
  return o;
}

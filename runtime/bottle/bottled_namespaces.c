#include "runtime/bottle/bottled_namespaces.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

#define PLAIN_FIX "run it plain (bottle.json \"mode\": \"plain\", or a trusted bottle.mode=plain)"

/* Whether ns's path names the namespace /proc/self/ns/<proc_name> would name in pod_ns_dir.
 * Judged on an fd of ours (opened non-blocking: the bundle may name a FIFO). The namespace is
 * joined later by path, opened again, so a path that passes is replaced by the pod's own: the
 * bundle's (a symlink in a directory its author or the agent writes, /proc/<agent>/root/...)
 * could be swapped in between to the sidecar's. Only a pid reused meanwhile is left. */
static bool is_pods(cJSON *ns, const char *pod_ns_dir, const char *proc_name)
{
  if (pod_ns_dir == NULL)
    return false;
  struct stat st;
  int fd = open(json_str(ns, "path", ""), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  bool opened = fd >= 0 && fstat(fd, &st) == 0;
  if (fd >= 0)
    close(fd);
  cleanup_free char *pods = xasprintf("%s/%s", pod_ns_dir, proc_name);
  if (!opened || !stat_same_file(&st, pods))
    return false;
  cJSON_ReplaceItemInObjectCaseSensitive(ns, "path", cJSON_CreateString(pods));
  return true;
}

/* spec_namespace, for a config this file may change */
static cJSON *namespace_of(cJSON *config, const char *type)
{
  cJSON *ns;
  cJSON_ArrayForEach(ns, cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(config, "linux"), "namespaces"))
  {
    if (strcmp(json_str(ns, "type", ""), type) == 0)
      return ns;
  }
  return NULL;
}

static int check_pid(cJSON *config, const char *pod_ns_dir, bottle_error_t *err)
{
  cJSON *pid = namespace_of(config, "pid");
  if (pid == NULL)
    return berr(err, 0,
                "linux.namespaces: a bottled container needs its own pid namespace; without one "
                "it shares the host's (docker --pid host, hostPID), where it can see its proxy "
                "and write the proxy's memory; drop the host pid namespace or " PLAIN_FIX);
  const char *path = json_str(pid, "path", "");
  if (*path == '\0' || is_pods(pid, pod_ns_dir, "pid"))
    return 0;
  struct stat st;
  bool host = stat(path, &st) == 0 && stat_same_file(&st, "/proc/self/ns/pid");
  return berr(err, 0,
              "linux.namespaces: pid path %s joins %s (docker --pid container:..., a shared "
              "process namespace), where a bottled container could see its proxy and write the "
              "proxy's memory; give the container its own pid namespace or " PLAIN_FIX,
              path, host ? "the host's pid namespace" : "another pid namespace");
}

int bottled_check_namespaces(cJSON *config, const char *pod_ns_dir, bottle_error_t *err)
{
  if (check_pid(config, pod_ns_dir, err) < 0)
    return -1;
  /* The spec's type names against /proc/<pid>/ns's. */
  static const struct {
    const char *type, *proc_name;
  } joinable[] = {{"ipc", "ipc"},   {"uts", "uts"},       {"mount", "mnt"},
                  {"user", "user"}, {"cgroup", "cgroup"}, {"time", "time"}};
  for (size_t i = 0; i < sizeof(joinable) / sizeof(*joinable); i++) {
    cJSON *ns = namespace_of(config, joinable[i].type);
    const char *path = ns ? json_str(ns, "path", "") : "";
    if (*path == '\0' || is_pods(ns, pod_ns_dir, joinable[i].proc_name))
      continue;
    return berr(err, 0,
                "linux.namespaces: %s path %s is not one of the namespaces of its own bottle; a "
                "bottled container joins namespaces by path only within its bottle (a pod's "
                "sandbox), never its proxy's or another process's; drop the path or " PLAIN_FIX,
                joinable[i].type, path);
  }
  return 0;
}

#include "runtime/bottle/bottled_namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "runtime/container/spec.h"
#include "runtime/lib/util.h"

int bottled_check_pid_namespace(const cJSON *config, const char *pod_pid_ns, bottle_error_t *err)
{
  const cJSON *pid = spec_namespace(config, "pid");
  if (pid == NULL)
    return berr(err, 0,
                "linux.namespaces: a bottled container needs its own pid namespace; without one "
                "it shares the host's (docker --pid host, hostPID), where it can see its proxy "
                "and write the proxy's memory; drop the host pid namespace or run it "
                "plain (bottle.json \"mode\": \"plain\", or a trusted bottle.mode=plain)");
  const char *path = json_str(pid, "path", "");
  if (*path == '\0')
    return 0;
  /* Judged on an fd of ours: the one shareable pid namespace is the pod's agent's, where the
   * member sees the pod's processes and none of the sidecar's. The path is joined later by
   * name, like runc does; a pid reused meanwhile names a namespace the member may not have. */
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  bool opened = fd >= 0 && fstat(fd, &st) == 0;
  if (fd >= 0)
    close(fd);
  if (opened && pod_pid_ns != NULL && stat_same_file(&st, pod_pid_ns))
    return 0;
  bool host = opened && stat_same_file(&st, "/proc/self/ns/pid");
  return berr(err, 0,
              "linux.namespaces: pid path %s joins %s (docker --pid container:..., a shared "
              "process namespace), where a bottled container could see its proxy and write the "
              "proxy's memory; give the container its own pid namespace or run it plain "
              "(bottle.json \"mode\": \"plain\", or a trusted bottle.mode=plain)",
              path, host ? "the host's pid namespace" : "another pid namespace");
}

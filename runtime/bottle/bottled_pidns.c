#include "runtime/bottle/bottled_pidns.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "runtime/container/spec.h"
#include "runtime/lib/util.h"

int bottled_check_pid_namespace(const cJSON *config, bottle_error_t *err)
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
  /* Every pid namespace joined by path is another's today. A pod's own shared process
   * namespace (its sandbox, whose processes would all be the bottle's) is to be told apart
   * here, before this refusal, once bottle supports pods. */
  struct stat st;
  bool host = stat(path, &st) == 0 && stat_same_file(&st, "/proc/self/ns/pid");
  return berr(err, 0,
              "linux.namespaces: pid path %s joins %s (docker --pid container:..., a shared "
              "process namespace), where a bottled container could see its proxy and write the "
              "proxy's memory; give the container its own pid namespace or run it plain "
              "(bottle.json \"mode\": \"plain\", or a trusted bottle.mode=plain)",
              path, host ? "the host's pid namespace" : "another pid namespace");
}

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/container/container.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/container/state.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

enum {
  OPT_BLKIO_WEIGHT = 1000,
  OPT_CPU_PERIOD,
  OPT_CPU_QUOTA,
  OPT_CPU_SHARES,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_TCP,
  OPT_MEMORY,
  OPT_MEMORY_RES,
  OPT_MEMORY_SWAP,
  OPT_PIDS_LIMIT,
  OPT_L3,
  OPT_MEMBW,
};

/* "100m", "1g", "512k", "-1", plain bytes. */
static int parse_bytes(const char *s, double *out)
{
  char *end = NULL;
  double v = strtod(s, &end);
  if (end == s)
    return -1;
  switch (*end) {
  case 'k':
  case 'K':
    v *= 1024;
    end++;
    break;
  case 'm':
  case 'M':
    v *= 1024 * 1024;
    end++;
    break;
  case 'g':
  case 'G':
    v *= 1024.0 * 1024 * 1024;
    end++;
    break;
  case 't':
  case 'T':
    v *= 1024.0 * 1024 * 1024 * 1024;
    end++;
    break;
  default:
    break;
  }
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end != '\0')
    return -1;
  *out = v;
  return 0;
}

static cJSON *section(cJSON *r, const char *name)
{
  cJSON *s = cJSON_GetObjectItemCaseSensitive(r, name);
  if (!cJSON_IsObject(s)) {
    cJSON_DeleteItemFromObjectCaseSensitive(r, name);
    s = cJSON_AddObjectToObject(r, name);
  }
  return s;
}

static void set_num(cJSON *o, const char *k, double v)
{
  cJSON_DeleteItemFromObjectCaseSensitive(o, k);
  cJSON_AddNumberToObject(o, k, v);
}

/* Zero / absent / null leaves the stored value alone (runc's rule, §4.11). */
static void merge(cJSON *stored, const cJSON *update)
{
  const cJSON *it;
  cJSON_ArrayForEach(it, update)
  {
    if (cJSON_IsNull(it))
      continue;
    if (cJSON_IsObject(it)) {
      merge(section(stored, it->string), it);
    } else if (cJSON_IsNumber(it)) {
      if (it->valuedouble != 0)
        set_num(stored, it->string, it->valuedouble);
    } else if (cJSON_IsString(it)) {
      if (*it->valuestring) {
        cJSON_DeleteItemFromObjectCaseSensitive(stored, it->string);
        cJSON_AddStringToObject(stored, it->string, it->valuestring);
      }
    } else if (cJSON_IsArray(it) && strcmp(it->string, "devices") != 0) {
      cJSON_DeleteItemFromObjectCaseSensitive(stored, it->string);
      cJSON_AddItemToObject(stored, it->string, cJSON_Duplicate(it, 1));
    } else if (cJSON_IsBool(it)) {
      cJSON_DeleteItemFromObjectCaseSensitive(stored, it->string);
      cJSON_AddBoolToObject(stored, it->string, cJSON_IsTrue(it));
    }
  }
}

int verb_update(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
      {"resources", required_argument, NULL, 'r'},
      {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
      {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
      {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
      {"cpu-share", required_argument, NULL, OPT_CPU_SHARES},
      {"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
      {"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
      {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
      {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
      {"kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY},
      {"kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_TCP},
      {"memory", required_argument, NULL, OPT_MEMORY},
      {"memory-reservation", required_argument, NULL, OPT_MEMORY_RES},
      {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
      {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
      {"l3-cache-schema", required_argument, NULL, OPT_L3},
      {"mem-bw-schema", required_argument, NULL, OPT_MEMBW},
      {NULL, 0, NULL, 0},
  };
  const char *resources_file = NULL;
  cleanup_cjson cJSON *flags = cJSON_CreateObject();
  bottle_error_t err = {0};
  cli_normalize(argc, argv, opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
    double v = 0;
    const char *sec = NULL, *key = NULL;
    bool bytes = false, str = false;
    switch (ch) {
    case 'r':
      resources_file = optarg;
      continue;
    case OPT_BLKIO_WEIGHT:
      sec = "blockIO";
      key = "weight";
      break;
    case OPT_CPU_PERIOD:
      sec = "cpu";
      key = "period";
      break;
    case OPT_CPU_QUOTA:
      sec = "cpu";
      key = "quota";
      break;
    case OPT_CPU_SHARES:
      sec = "cpu";
      key = "shares";
      break;
    case OPT_CPU_RT_PERIOD:
      sec = "cpu";
      key = "realtimePeriod";
      break;
    case OPT_CPU_RT_RUNTIME:
      sec = "cpu";
      key = "realtimeRuntime";
      break;
    case OPT_CPUSET_CPUS:
      sec = "cpu";
      key = "cpus";
      str = true;
      break;
    case OPT_CPUSET_MEMS:
      sec = "cpu";
      key = "mems";
      str = true;
      break;
    case OPT_KERNEL_MEMORY:
      sec = "memory";
      key = "kernel";
      bytes = true;
      break;
    case OPT_KERNEL_TCP:
      sec = "memory";
      key = "kernelTCP";
      bytes = true;
      break;
    case OPT_MEMORY:
      sec = "memory";
      key = "limit";
      bytes = true;
      break;
    case OPT_MEMORY_RES:
      sec = "memory";
      key = "reservation";
      bytes = true;
      break;
    case OPT_MEMORY_SWAP:
      sec = "memory";
      key = "swap";
      bytes = true;
      break;
    case OPT_PIDS_LIMIT:
      sec = "pids";
      key = "limit";
      break;
    case OPT_L3:
    case OPT_MEMBW:
      continue;
    default:
      return cli_usage_error("update", "flag provided but not defined");
    }
    if (str) {
      cJSON_AddStringToObject(section(flags, sec), key, optarg);
      continue;
    }
    char *end = NULL;
    if (bytes ? parse_bytes(optarg, &v) < 0 : (v = strtod(optarg, &end), *end != '\0')) {
      berr(&err, 0, "invalid value for --%s: %s", key, optarg);
      return verb_fail(&err, NULL, 1);
    }
    set_num(section(flags, sec), key, v);
  }
  const char *id = cli_one_id(argc, argv, optind, "update");
  if (id == NULL)
    return 1;

  cleanup_cjson cJSON *update = NULL;
  if (resources_file != NULL) {
    cleanup_free char *text = strcmp(resources_file, "-") == 0
                                  ? read_fd_all(STDIN_FILENO, NULL)
                                  : read_file_at(AT_FDCWD, resources_file, NULL);
    if (text == NULL) {
      berr(&err, errno, "read resources %s", resources_file);
      return verb_fail(&err, NULL, 1);
    }
    update = cJSON_Parse(text);
    if (!cJSON_IsObject(update)) {
      berr(&err, 0, "decode resources: not a JSON object (expected OCI LinuxResources)");
      return verb_fail(&err, NULL, 1);
    }
  } else {
    update = take_ptr(flags);
  }
  const cJSON *km = json_path(update, "memory.kernel");
  if (cJSON_IsNumber(km) && km->valuedouble != 0)
    log_msg(LOG_WARNING, "kernel memory limits are not supported and are ignored");

  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, true, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  int r = 0;
  if (container_status(c) == STATUS_STOPPED)
    r = berr(&err, 0, "container not running");
  else if (c->cgroup == NULL)
    r = berr(&err, 0, "container has no cgroup");
  else if (cgroup_update(c->cgroup, update, &err) < 0)
    r = -1;
  if (r == 0) {
    cJSON *linux = cJSON_GetObjectItemCaseSensitive(c->config, "linux");
    if (!cJSON_IsObject(linux))
      linux = cJSON_AddObjectToObject(c->config, "linux");
    merge(section(linux, "resources"), update);
    r = state_save(c, &err);
  }
  container_free(c);
  return r < 0 ? verb_fail(&err, NULL, 1) : 0;
}

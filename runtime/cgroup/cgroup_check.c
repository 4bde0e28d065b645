/* Type checks for an OCI LinuxResources object before anything is written,
 * so a wrong type is reported with its field instead of silently skipped.
 * null counts as absent (Go clients never send it; runc 1.1 crashed on it). */
#include "runtime/cgroup/cgroup_internal.h"

#include <string.h>

enum kind { NUM, STR, BOOL, ARR, OBJ };

struct field {
  const char *name;
  enum kind kind;
};

static const char *kind_name(enum kind k)
{
  static const char *const names[] = {"a number", "a string", "true or false", "an array",
                                      "an object"};
  return names[k];
}

static bool kind_ok(const cJSON *v, enum kind k)
{
  switch (k) {
  case NUM:
    return cJSON_IsNumber(v);
  case STR:
    return cJSON_IsString(v);
  case BOOL:
    return cJSON_IsBool(v);
  case ARR:
    return cJSON_IsArray(v);
  case OBJ:
    return cJSON_IsObject(v);
  }
  return false;
}

static int check_fields(const cJSON *obj, const char *where, const struct field *fields, size_t n,
                        bottle_error_t *err)
{
  if (obj == NULL || cJSON_IsNull(obj))
    return 0;
  if (!cJSON_IsObject(obj))
    return berr(err, 0, "%s must be an object", where);
  for (size_t i = 0; i < n; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, fields[i].name);
    if (v == NULL || cJSON_IsNull(v) || kind_ok(v, fields[i].kind))
      continue;
    return berr(err, 0, "%s.%s must be %s", where, fields[i].name, kind_name(fields[i].kind));
  }
  return 0;
}

#define CHECK_EACH(arr, where, fields)                                                             \
  do {                                                                                             \
    const cJSON *item_;                                                                            \
    cJSON_ArrayForEach(item_, arr)                                                                 \
    {                                                                                              \
      if (check_fields(item_, where, fields, sizeof(fields) / sizeof(fields[0]), err) < 0)         \
        return -1;                                                                                 \
    }                                                                                              \
  } while (0)

int cgroup_check_resources(const cJSON *res, bottle_error_t *err)
{
  static const struct field top[] = {
      {"memory", OBJ},         {"cpu", OBJ},     {"pids", OBJ},    {"blockIO", OBJ},
      {"hugepageLimits", ARR}, {"network", OBJ}, {"devices", ARR}, {"unified", OBJ},
  };
  static const struct field memory[] = {
      {"limit", NUM},
      {"reservation", NUM},
      {"swap", NUM},
      {"kernel", NUM},
      {"kernelTCP", NUM},
      {"swappiness", NUM},
      {"disableOOMKiller", BOOL},
      {"useHierarchy", BOOL},
  };
  static const struct field cpu[] = {
      {"shares", NUM},         {"quota", NUM}, {"period", NUM}, {"realtimeRuntime", NUM},
      {"realtimePeriod", NUM}, {"cpus", STR},  {"mems", STR},   {"idle", NUM},
  };
  static const struct field pids[] = {{"limit", NUM}};
  static const struct field blkio[] = {
      {"weight", NUM},
      {"leafWeight", NUM},
      {"weightDevice", ARR},
      {"throttleReadBpsDevice", ARR},
      {"throttleWriteBpsDevice", ARR},
      {"throttleReadIOPSDevice", ARR},
      {"throttleWriteIOPSDevice", ARR},
  };
  static const struct field weight_dev[] = {
      {"major", NUM}, {"minor", NUM}, {"weight", NUM}, {"leafWeight", NUM}};
  static const struct field throttle_dev[] = {{"major", NUM}, {"minor", NUM}, {"rate", NUM}};
  static const struct field huge[] = {{"pageSize", STR}, {"limit", NUM}};
  static const struct field device[] = {
      {"allow", BOOL}, {"type", STR}, {"major", NUM}, {"minor", NUM}, {"access", STR}};
  static const struct field network[] = {{"classID", NUM}, {"priorities", ARR}};

  if (res == NULL || cJSON_IsNull(res))
    return 0;
  const char *w = "linux.resources";
  if (check_fields(res, w, top, sizeof(top) / sizeof(top[0]), err) < 0 ||
      check_fields(cJSON_GetObjectItemCaseSensitive(res, "memory"), "linux.resources.memory",
                   memory, sizeof(memory) / sizeof(memory[0]), err) < 0 ||
      check_fields(cJSON_GetObjectItemCaseSensitive(res, "cpu"), "linux.resources.cpu", cpu,
                   sizeof(cpu) / sizeof(cpu[0]), err) < 0 ||
      check_fields(cJSON_GetObjectItemCaseSensitive(res, "pids"), "linux.resources.pids", pids,
                   sizeof(pids) / sizeof(pids[0]), err) < 0 ||
      check_fields(cJSON_GetObjectItemCaseSensitive(res, "network"), "linux.resources.network",
                   network, sizeof(network) / sizeof(network[0]), err) < 0)
    return -1;
  const cJSON *bio = cJSON_GetObjectItemCaseSensitive(res, "blockIO");
  if (check_fields(bio, "linux.resources.blockIO", blkio, sizeof(blkio) / sizeof(blkio[0]), err) <
      0)
    return -1;
  CHECK_EACH(cJSON_GetObjectItemCaseSensitive(bio, "weightDevice"),
             "linux.resources.blockIO.weightDevice[]", weight_dev);
  for (size_t i = 3; i < sizeof(blkio) / sizeof(blkio[0]); i++)
    CHECK_EACH(cJSON_GetObjectItemCaseSensitive(bio, blkio[i].name),
               "linux.resources.blockIO.throttle*Device[]", throttle_dev);
  CHECK_EACH(cJSON_GetObjectItemCaseSensitive(res, "hugepageLimits"),
             "linux.resources.hugepageLimits[]", huge);
  CHECK_EACH(cJSON_GetObjectItemCaseSensitive(res, "devices"), "linux.resources.devices[]", device);
  const cJSON *unified = cJSON_GetObjectItemCaseSensitive(res, "unified"), *u;
  cJSON_ArrayForEach(u, unified)
  {
    if (!cJSON_IsString(u))
      return berr(err, 0, "linux.resources.unified.%s must be a string", u->string);
  }
  return 0;
}

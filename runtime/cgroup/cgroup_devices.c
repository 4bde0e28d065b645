/* Device access rules: the spec's linux.resources.devices, then runc's
 * default allow list (without /dev/pts and /dev/ptmx, `docker run -it`
 * cannot open its terminal), all on top of "deny everything". */
#include "runtime/cgroup/cgroup_internal.h"

#include <string.h>

struct default_rule {
  const char *type;
  int major, minor; /* -1 = any */
  const char *access;
};

static const struct default_rule runc_defaults[] = {
    {"c", -1, -1, "m"},    {"b", -1, -1, "m"}, {"c", 1, 3, "rwm"},    {"c", 1, 8, "rwm"},
    {"c", 1, 7, "rwm"},    {"c", 5, 0, "rwm"}, {"c", 1, 5, "rwm"},    {"c", 1, 9, "rwm"},
    {"c", 136, -1, "rwm"}, {"c", 5, 2, "rwm"}, {"c", 10, 200, "rwm"},
};

cJSON *cgroup_device_rules(const cJSON *res)
{
  const cJSON *given = cJSON_GetObjectItemCaseSensitive(res, "devices");
  cJSON *rules = cJSON_IsArray(given) ? cJSON_Duplicate(given, 1) : cJSON_CreateArray();
  if (rules == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof(runc_defaults) / sizeof(runc_defaults[0]); i++) {
    const struct default_rule *d = &runc_defaults[i];
    cJSON *r = cJSON_CreateObject();
    if (r == NULL) {
      cJSON_Delete(rules);
      return NULL;
    }
    cJSON_AddBoolToObject(r, "allow", 1);
    cJSON_AddStringToObject(r, "type", d->type);
    if (d->major >= 0)
      cJSON_AddNumberToObject(r, "major", d->major);
    if (d->minor >= 0)
      cJSON_AddNumberToObject(r, "minor", d->minor);
    cJSON_AddStringToObject(r, "access", d->access);
    cJSON_AddItemToArray(rules, r);
  }
  return rules;
}

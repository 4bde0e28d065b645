/* A container's cgroup saved in its state file (runc's cgroup_paths shape) and loaded again
 * by later verbs. */
#include "runtime/cgroup/cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

#define CGROUP_JSON_VERSION 1

cJSON *cgroup_to_json(const struct cgroup *cg)
{
  cJSON *j = cJSON_CreateObject();
  cJSON *paths = cJSON_CreateObject();
  if (j == NULL || paths == NULL) {
    cJSON_Delete(j);
    cJSON_Delete(paths);
    return NULL;
  }
  cJSON_AddNumberToObject(j, "version", CGROUP_JSON_VERSION);
  cJSON_AddStringToObject(j, "path", cg->path);
  cJSON_AddStringToObject(j, "mode", cg->unified_only ? "v2" : (cg->unified ? "hybrid" : "v1"));
  /* runc's cgroup_paths shape: one key per controller, "" for the unified hierarchy. */
  for (size_t i = 0; i < cg->n_hier; i++) {
    cleanup_free char *list = strdup(cg->hier[i].controllers);
    char *save = NULL;
    for (char *c = list ? strtok_r(list, ",", &save) : NULL; c; c = strtok_r(NULL, ",", &save))
      cJSON_AddStringToObject(paths, c, cg->hier[i].dir);
  }
  if (cg->unified)
    cJSON_AddStringToObject(paths, "", cg->unified);
  cJSON_AddItemToObject(j, "paths", paths);
  return j;
}

int cgroup_from_json(const cJSON *j, struct cgroup **out, bottle_error_t *err)
{
  const char *path = res_str(j, "path");
  const char *mode = res_str(j, "mode");
  const cJSON *paths = cJSON_GetObjectItemCaseSensitive(j, "paths");
  if (path == NULL || mode == NULL || !cJSON_IsObject(paths))
    return berr(err, EINVAL, "cgroup: saved state lacks path, mode or paths");
  struct cgroup *cg = calloc(1, sizeof(*cg));
  if (cg == NULL || (cg->path = strdup(path)) == NULL) {
    cgroup_free(cg);
    return berr(err, ENOMEM, "cgroup");
  }
  cg->unified_only = strcmp(mode, "v2") == 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, paths)
  {
    if (!cJSON_IsString(item) || item->valuestring[0] != '/') {
      cgroup_free(cg);
      return berr(err, EINVAL, "cgroup: saved path for \"%s\" is not an absolute path",
                  item->string ? item->string : "?");
    }
    if (item->string == NULL || item->string[0] == '\0') {
      free(cg->unified);
      if ((cg->unified = strdup(item->valuestring)) == NULL) {
        cgroup_free(cg);
        return berr(err, ENOMEM, "cgroup");
      }
      continue;
    }
    /* Co-mounted controllers share a directory: regroup them. */
    struct cgroup_hierarchy *h = NULL;
    for (size_t i = 0; i < cg->n_hier && !h; i++)
      if (strcmp(cg->hier[i].dir, item->valuestring) == 0)
        h = &cg->hier[i];
    if (h) {
      char *joined = xasprintf("%s,%s", h->controllers, item->string);
      free(h->controllers);
      h->controllers = joined;
    } else if (cgroup_add_hierarchy(cg, item->string, item->valuestring) < 0) {
      cgroup_free(cg);
      return berr(err, ENOMEM, "cgroup");
    }
  }
  if (cg->unified)
    cg->unified_mount = cgroup_unified_mount_of(cg->unified);
  *out = cg;
  return 0;
}

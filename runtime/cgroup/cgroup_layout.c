/* struct cgroup itself: its v1 hierarchies by controller, adding one, freeing it. */
#include "runtime/cgroup/cgroup_internal.h"

#include <stdlib.h>
#include <string.h>

bool cgroup_controller_listed(const char *list, const char *name)
{
  size_t len = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == len && strncmp(p, name, n) == 0)
      return true;
    p = comma ? comma + 1 : NULL;
  }
  return false;
}

const char *cgroup_v1_dir(const struct cgroup *cg, const char *name)
{
  for (size_t i = 0; i < cg->n_hier; i++)
    if (cgroup_controller_listed(cg->hier[i].controllers, name))
      return cg->hier[i].dir;
  return NULL;
}

void cgroup_free(struct cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n_hier; i++) {
    free(cg->hier[i].controllers);
    free(cg->hier[i].dir);
    free(cg->hier[i].mount);
  }
  free(cg->hier);
  free(cg->unified);
  free(cg->unified_mount);
  free(cg->path);
  free(cg);
}

int cgroup_add_hierarchy(struct cgroup *cg, const char *controllers, const char *dir)
{
  struct cgroup_hierarchy *h = realloc(cg->hier, (cg->n_hier + 1) * sizeof(*h));
  if (h == NULL)
    return -1;
  cg->hier = h;
  h[cg->n_hier].mount = NULL;
  h[cg->n_hier].controllers = strdup(controllers);
  h[cg->n_hier].dir = strdup(dir);
  if (h[cg->n_hier].controllers == NULL || h[cg->n_hier].dir == NULL) {
    free(h[cg->n_hier].controllers);
    free(h[cg->n_hier].dir);
    return -1;
  }
  cg->n_hier++;
  return 0;
}

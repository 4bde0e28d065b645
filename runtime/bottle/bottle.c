#include "runtime/bottle/bottle.h"

#include <stdio.h>
#include <stdlib.h>

#include "config/policy.h"
#include "runtime/bottle/pod.h"
#include "runtime/container/spec.h"
#include "runtime/container/state.h"
#include "runtime/lib/cleanup.h"

extern char **environ;

static void cfg_cleanup(struct bottle_config **c)
{
  cfg_free(*c);
}
static void pol_cleanup(struct bottle_policy **p)
{
  cfg_policy_free(*p);
}

int bottle_create(const struct globals *g, struct create_opts *o,
                  const struct bottled_overrides *ov, struct container **out, bottle_error_t *err)
{
  cJSON *config = NULL;
  if (spec_load(NULL, &config, err) < 0)
    return -1;
  cleanup_cjson cJSON *config_owner = config;
  if (spec_validate(config, err) < 0)
    return -1;

  __attribute__((cleanup(cfg_cleanup))) struct bottle_config *cfg = NULL;
  if (cfg_load(g->config_path, environ, &cfg, err) < 0)
    return -1;
  const cJSON *process = cJSON_GetObjectItemCaseSensitive(config, "process");
  cleanup_free char **env = NULL;
  {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(process, "env");
    int n = cJSON_GetArraySize(e);
    env = calloc((size_t)n + 1, sizeof(char *));
    if (env == NULL)
      abort();
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, e)
    {
      if (cJSON_IsString(it))
        env[k++] = it->valuestring;
    }
  }
  struct cfg_container_input in = {
      .annotations = cJSON_GetObjectItemCaseSensitive(config, "annotations"),
      .env = env,
      .profile = ov ? ov->profile : NULL,
      .allow = ov ? ov->allow : NULL,
  };
  __attribute__((cleanup(pol_cleanup))) struct bottle_policy *pol = NULL;
  if (cfg_resolve(cfg, &in, &pol, err) < 0)
    return -1;

  __attribute__((cleanup(pod_join_free))) struct pod_join join = {0};
  if (pod_find_join(g, config, &join, err) < 0)
    return -1;
  if ((join.bottle != NULL || join.plain_pod != NULL) &&
      pod_check_policy(&join, config, pol, join.bottle != NULL, err) < 0)
    return -1;
  if (join.bottle != NULL) {
    if (ov && (ov->dry_run || (ov->confirm && !ov->confirm())))
      return berr(err, 0, "%s joins bottle %s: nothing was created", o->id, join.bottle);
    return bottled_join(g, o, take_ptr(config_owner), cfg, &join, out, err);
  }
  if (pol->mode == BOTTLE_MODE_PLAIN || join.plain_pod != NULL) {
    if (ov && ov->print_plan)
      printf("bottle plan for %s: plain container (%s), no egress confinement\n", o->id,
             pol->mode_source);
    if (ov && ov->dry_run)
      return 0;
    if (ov && ov->confirm && !ov->confirm())
      return berr(err, 0, "not confirmed: nothing was created");
    o->config = take_ptr(config_owner);
    return container_create(g, o, out, err);
  }
  return bottled_create_new(g, o, ov, take_ptr(config_owner), cfg, pol, out, err);
}

int bottle_delete(const struct globals *g, const char *id, struct container *c, bottle_error_t *err)
{
  int r = 0;
  if (c != NULL) {
    r = container_destroy(c, err);
    container_free(c);
  } else {
    state_remove_path(g->root, id);
  }
  if (r == 0)
    r = bottled_destroy(g, id, err);
  return r;
}

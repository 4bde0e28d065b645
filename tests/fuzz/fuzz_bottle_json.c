/* libFuzzer target: bottle.json text -> runtime config, then every profile's policy, YAML,
 * summary and argv. */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *const host_env[] = {NULL};
  struct bottle_config *cfg = NULL;
  bottle_error_t err = {0};
  if (cfg_parse((const char *)data, size, "fuzz.json", host_env, &cfg, &err) < 0) {
    FUZZ_ASSERT(cfg == NULL);
    fuzz_check_error(&err);
    return 0;
  }
  FUZZ_ASSERT(cfg != NULL && !err.set);
  fuzz_check_hostlist(&cfg->default_allowlist);
  FUZZ_ASSERT(cfg->sidecar_port >= 1 && cfg->sidecar_port <= 65535);
  FUZZ_ASSERT(cfg->link_pool.prefix >= 8 && cfg->link_pool.prefix <= 30);
  FUZZ_ASSERT(cfg->n_dns <= CFG_MAX_DNS);
  for (size_t i = 0; i <= cfg->n_profiles; i++) {
    struct cfg_container_input in = {.profile = i < cfg->n_profiles ? cfg->profiles[i].name : NULL};
    struct bottle_policy *pol = NULL;
    if (cfg_resolve(cfg, &in, &pol, &err) < 0) {
      fuzz_check_error(&err);
      berr_clear(&err);
      continue;
    }
    fuzz_check_policy(cfg, pol);
    cfg_policy_free(pol);
  }
  cfg_free(cfg);
  return 0;
}

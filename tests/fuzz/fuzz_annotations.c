/* libFuzzer target: a container's annotations and env against a runtime config with profiles,
 * trusting neither of them, then both with everything. Input: the annotations JSON, then
 * NUL-separated "K=V" env entries. */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_common.h"

#define CONFIG_JSON(extra)                                                                         \
  "{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"api.openai.com\"]},"                    \
  " \"ssh\": [{\"Host\": \"forge\", \"Hostname\": \"10.20.0.5\", \"Port\": 22},"                   \
  " {\"Host\": \"git\", \"Hostname\": \"git.corp.example\", \"Port\": 22}]},"                      \
  " \"empty\": {}}, \"egress\": {\"default_allowlist\": [\"api.anthropic.com\"]}" extra "}"

static struct bottle_config *load(bool trusted)
{
  const char *json = trusted ? CONFIG_JSON(", \"trust_container_env\": true, \"trust\": "
                                           "{\"annotations\": {\"plain\": true, \"profiles\": "
                                           "[\"*\"], \"extra_hosts\": true}}")
                             : CONFIG_JSON("");
  char *const host_env[] = {NULL};
  struct bottle_config *cfg = NULL;
  bottle_error_t err = {0};
  FUZZ_ASSERT(cfg_parse(json, strlen(json), "fuzz.json", host_env, &cfg, &err) == 0);
  return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct bottle_config *configs[2];
  if (configs[0] == NULL) {
    configs[0] = load(false);
    configs[1] = load(true);
  }
  /* Split into NUL-terminated pieces. */
  char *copy = malloc(size + 1);
  FUZZ_ASSERT(copy != NULL);
  memcpy(copy, data, size);
  copy[size] = '\0';
  enum { MAX_ENV = 16 };
  char *env[MAX_ENV + 1];
  size_t n_env = 0;
  size_t first = strlen(copy);
  for (size_t at = first + 1; at < size && n_env < MAX_ENV; at += strlen(copy + at) + 1)
    env[n_env++] = copy + at;
  env[n_env] = NULL;
  cJSON *annotations = first ? cJSON_ParseWithLength(copy, first) : NULL;

  for (int trusted = 0; trusted < 2; trusted++) {
    struct cfg_container_input in = {.annotations = annotations, .env = env};
    struct bottle_policy *pol = NULL;
    bottle_error_t err = {0};
    if (cfg_resolve(configs[trusted], &in, &pol, &err) < 0) {
      FUZZ_ASSERT(pol == NULL);
      fuzz_check_error(&err);
      continue;
    }
    /* Untrusted annotations and env never widen: no profile, no plain, no host beyond the
     * default list. */
    if (!trusted) {
      FUZZ_ASSERT(pol->profile == NULL && pol->n_ssh == 0);
      FUZZ_ASSERT(pol->mode == BOTTLE_MODE_BOTTLED);
      for (size_t i = 0; i < pol->allowlist.len; i++)
        FUZZ_ASSERT(strcmp(pol->allowlist.items[i], "api.anthropic.com") == 0);
    }
    fuzz_check_policy(configs[trusted], pol);
    cfg_policy_free(pol);
  }
  cJSON_Delete(annotations);
  free(copy);
  return 0;
}

/* runtime/agent_spec.c: the edits a bottled agent's config.json gets. Run under ASan by
 * `make test` (build/asan), which is what catches an edit that reads an item it has freed. */
#include <cJSON.h>
#include <stdlib.h>

#include "runtime/agent_spec.h"
#include "tests/unit/unit.h"

static char *caps_after_drop(const char *process_json)
{
  cJSON *process = cJSON_Parse(process_json);
  if (process == NULL)
    return NULL;
  agent_drop_net_caps(process);
  char *out = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(process, "capabilities"));
  cJSON_Delete(process);
  return out;
}

static void test_drop_net_caps(void)
{
  /* Docker's default set holds CAP_NET_RAW; adjacent, first, last and repeated entries. */
  char *out = caps_after_drop(
      "{\"capabilities\": {"
      "\"bounding\": [\"CAP_CHOWN\", \"CAP_NET_RAW\", \"CAP_NET_ADMIN\", \"CAP_KILL\"],"
      "\"effective\": [\"CAP_NET_ADMIN\", \"CAP_NET_RAW\"],"
      "\"permitted\": [\"CAP_NET_RAW\", \"CAP_KILL\", \"CAP_NET_RAW\"],"
      "\"inheritable\": []}}");
  CHECK_STREQ(out, "{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[],"
                   "\"permitted\":[\"CAP_KILL\"],\"inheritable\":[]}");
  free(out);
  out = caps_after_drop("{\"args\": [\"true\"]}");
  CHECK_STREQ(out, NULL);
  free(out);
}

static void test_set_env(void)
{
  cJSON *process = cJSON_Parse("{\"env\": [\"PATH=/bin\", \"HTTP_PROXY=http://evil:1\"]}");
  cJSON *extra = agent_proxy_env("10.231.0.1", 8888);
  agent_add_env(process, extra);
  char *env = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(process, "env"));
  CHECK_CONTAINS(env, "\"PATH=/bin\"");
  CHECK_CONTAINS(env, "\"HTTP_PROXY=http://10.231.0.1:8888\"");
  CHECK(strstr(env, "evil") == NULL);
  free(env);
  cJSON_Delete(extra);
  cJSON_Delete(process);
}

int main(void)
{
  RUN(test_drop_net_caps);
  RUN(test_set_env);
  return unit_finish();
}

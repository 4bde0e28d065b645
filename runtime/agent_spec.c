#include "runtime/agent_spec.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/cleanup.h"
#include "runtime/util.h"

/* A bottled agent's netns has lo and one veth with IPv6 off; sysctls that would switch
 * IPv6 or routing back on are refused rather than quietly applied (threats.md 37). */
int agent_check_sysctls(const cJSON *config, bottle_error_t *err)
{
  static const char *const weakening[] = {"disable_ipv6", "forwarding", "accept_ra",
                                          "rp_filter",    "proxy_arp",  "ip_forward"};
  const cJSON *s;
  cJSON_ArrayForEach(s, json_path(config, "linux.sysctl"))
  {
    for (size_t i = 0; i < sizeof(weakening) / sizeof(*weakening); i++)
      if (strstr(s->string, weakening[i]) != NULL)
        return berr(err, 0,
                    "linux.sysctl: %s would change the bottle's network (IPv6 and routing stay "
                    "off in an agent); remove it or set bottle.mode=plain",
                    s->string);
  }
  return 0;
}

/* /proc/sys stays read-only in the agent even when the bundle does not ask for it. */
void agent_readonly_proc_sys(cJSON *config)
{
  cJSON *linux_ = cJSON_GetObjectItemCaseSensitive(config, "linux");
  cJSON *ro = cJSON_GetObjectItemCaseSensitive(linux_, "readonlyPaths");
  if (ro == NULL)
    ro = cJSON_AddArrayToObject(linux_, "readonlyPaths");
  const cJSON *p;
  cJSON_ArrayForEach(p, ro)
  {
    if (cJSON_IsString(p) && strcmp(p->valuestring, "/proc/sys") == 0)
      return;
  }
  cJSON_AddItemToArray(ro, cJSON_CreateString("/proc/sys"));
}

void agent_set_env(cJSON *env, const char *key, const char *value)
{
  size_t klen = strlen(key);
  cJSON *e;
  int i = 0;
  cJSON_ArrayForEach(e, env)
  {
    if (cJSON_IsString(e) && strncmp(e->valuestring, key, klen) == 0 &&
        e->valuestring[klen] == '=') {
      cJSON_DeleteItemFromArray(env, i);
      break;
    }
    i++;
  }
  cleanup_free char *kv = xasprintf("%s=%s", key, value);
  cJSON_AddItemToArray(env, cJSON_CreateString(kv));
}

cJSON *agent_proxy_env(const char *ip, unsigned port)
{
  cleanup_free char *url = xasprintf("http://%s:%u", ip, port);
  const char *noproxy = "localhost,127.0.0.1,::1";
  cJSON *env = cJSON_CreateArray();
  agent_set_env(env, "HTTP_PROXY", url);
  agent_set_env(env, "HTTPS_PROXY", url);
  agent_set_env(env, "http_proxy", url);
  agent_set_env(env, "https_proxy", url);
  agent_set_env(env, "NO_PROXY", noproxy);
  agent_set_env(env, "no_proxy", noproxy);
  return env;
}

/* The agent's env gets the proxy variables, replacing any the image set. */
void agent_add_env(cJSON *process, const cJSON *extra)
{
  cJSON *env = cJSON_GetObjectItemCaseSensitive(process, "env");
  if (env == NULL)
    env = cJSON_AddArrayToObject(process, "env");
  const cJSON *e;
  cJSON_ArrayForEach(e, extra)
  {
    const char *eq = strchr(e->valuestring, '=');
    cleanup_free char *key = strndup(e->valuestring, (size_t)(eq - e->valuestring));
    agent_set_env(env, key, eq + 1);
  }
}

/* CAP_NET_RAW and CAP_NET_ADMIN are never needed to talk through a proxy and are what
 * raw-socket and routing tricks need (threats.md 7, 11). */
void agent_drop_net_caps(cJSON *process)
{
  static const char *const drop[] = {"CAP_NET_RAW", "CAP_NET_ADMIN"};
  cJSON *caps = cJSON_GetObjectItemCaseSensitive(process, "capabilities");
  cJSON *set;
  cJSON_ArrayForEach(set, caps)
  {
    for (int i = cJSON_GetArraySize(set) - 1; i >= 0; i--) {
      const cJSON *c = cJSON_GetArrayItem(set, i);
      for (size_t k = 0; k < sizeof(drop) / sizeof(*drop); k++) {
        if (cJSON_IsString(c) && strcmp(c->valuestring, drop[k]) == 0) {
          cJSON_DeleteItemFromArray(set, i); /* frees c */
          break;
        }
      }
    }
  }
}

void agent_set_netns(cJSON *config, const char *path)
{
  cJSON *nss = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(config, "linux"),
                                                "namespaces");
  cJSON *ns;
  cJSON_ArrayForEach(ns, nss)
  {
    if (strcmp(json_str(ns, "type", ""), "network") == 0) {
      cJSON_DeleteItemFromObject(ns, "path");
      cJSON_AddStringToObject(ns, "path", path);
    }
  }
}

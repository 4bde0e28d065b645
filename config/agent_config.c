#include "config/agent_config.h"

#include <string.h>

#include "config/json_check.h"

/* Each of these takes a bottled agent out of its bottle, or hands it the kernel: Docker,
 * containerd and podman grant none of them by default. CAP_NET_RAW and CAP_NET_ADMIN are not
 * here: bottle drops them from every agent, opt-in or not (the network is the bottle). */
const struct cfg_refused_cap cfg_agent_refused_caps[] = {
    {"CAP_SYS_ADMIN", "mounts, namespaces and most of the kernel's admin interfaces"},
    {"CAP_SYS_MODULE", "loads code into the host's kernel"},
    {"CAP_SYS_PTRACE", "reads and writes other processes' memory and reaches their root and fds "
                       "through /proc"},
    {"CAP_DAC_READ_SEARCH", "opens any host file by handle (open_by_handle_at)"},
    {"CAP_SYS_RAWIO", "raw I/O ports and the host's device memory"},
    {"CAP_SYS_BOOT", "reboots the host or replaces its kernel (kexec)"},
    {"CAP_BPF", "loads BPF programs into the host's kernel"},
    {"CAP_PERFMON", "traces the whole host (perf, BPF)"},
    {"CAP_MAC_ADMIN", "changes the host's LSM policy"},
    {"CAP_MAC_OVERRIDE", "bypasses the host's LSM policy"},
    {"CAP_SYSLOG", "reads the host's kernel log and kernel addresses"},
    {NULL, NULL},
};

const struct cfg_refused_cap *cfg_agent_refused_cap(const char *name)
{
  for (const struct cfg_refused_cap *c = cfg_agent_refused_caps; c->name; c++)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

static int agent_bool(const cJSON *obj, const char *key, const char *source, bool *out,
                      bottle_error_t *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (item == NULL)
    return 0;
  if (!cJSON_IsBool(item))
    return berr(err, 0, "%s: agent.%s: expected true or false, got %s", source, key,
                json_type_name(item));
  *out = cJSON_IsTrue(item);
  return 0;
}

/* agent.KEY: an array of strings, each passing ok() (which explains a bad one). */
static int
agent_list(const cJSON *obj, const char *key, const char *source, struct cfg_strlist *out,
           int (*ok)(const char *v, const char *source, const char *path, bottle_error_t *err),
           bottle_error_t *err)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (list == NULL)
    return 0;
  char path[64];
  struct json_where at = {source, json_path_key(path, sizeof(path), "agent", key)};
  if (json_expect(list, cJSON_Array, at, err) < 0)
    return -1;
  size_t i = 0;
  for (const cJSON *v = list->child; v; v = v->next, i++) {
    char ipath[96];
    struct json_where iat = {source, json_path_index(ipath, sizeof(ipath), path, i)};
    if (json_expect(v, cJSON_String, iat, err) < 0 || ok(v->valuestring, source, ipath, err) < 0)
      return -1;
    if (strlist_add(out, v->valuestring) < 0)
      return berr(err, 0, "out of memory");
  }
  return 0;
}

static int cap_ok(const char *v, const char *source, const char *path, bottle_error_t *err)
{
  if (cfg_agent_refused_cap(v) != NULL)
    return 0;
  char shown[128];
  const char *q = cfg_quote(v, strlen(v), shown, sizeof(shown));
  if (strcmp(v, "CAP_NET_RAW") == 0 || strcmp(v, "CAP_NET_ADMIN") == 0)
    return berr(err, 0,
                "%s: %s: %s is dropped from every bottled agent (raw packets and routing would "
                "go around the proxy) and cannot be allowed; remove it",
                source, path, q);
  if (strcmp(v, "CAP_WAKE_ALARM") == 0)
    return berr(err, 0,
                "%s: %s: %s is dropped from every bottled agent (it is what keeps a process "
                "with the sidecar's uid out of pipelock's memory) and cannot be allowed; remove it",
                source, path, q);
  char names[512] = "";
  for (const struct cfg_refused_cap *c = cfg_agent_refused_caps; c->name; c++) {
    strncat(names, c->name, sizeof(names) - strlen(names) - 1);
    if (c[1].name)
      strncat(names, ", ", sizeof(names) - strlen(names) - 1);
  }
  return berr(err, 0,
              "%s: %s: %s is not a capability bottle refuses (the others need no allowing); "
              "name one of %s",
              source, path, q, names);
}

static int mount_ok(const char *v, const char *source, const char *path, bottle_error_t *err)
{
  if (v[0] == '/')
    return 0;
  char shown[128];
  return berr(err, 0,
              "%s: %s: %s is not an absolute host path; write it as the mount's source "
              "on the host, e.g. \"/var/run/docker.sock\"",
              source, path, cfg_quote(v, strlen(v), shown, sizeof(shown)));
}

int cfg_parse_agent(struct cfg_agent *a, const cJSON *obj, const char *source, bottle_error_t *err)
{
  static const char *const keys[] = {"allow_capabilities",  "allow_devices",      "allow_mounts",
                                     "allow_unmasked_proc", "allow_writable_sys", NULL};
  struct json_where at = {source, "agent"};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  if (agent_list(obj, "allow_capabilities", source, &a->allow_capabilities, cap_ok, err) < 0 ||
      agent_list(obj, "allow_mounts", source, &a->allow_mounts, mount_ok, err) < 0 ||
      agent_bool(obj, "allow_devices", source, &a->allow_devices, err) < 0 ||
      agent_bool(obj, "allow_unmasked_proc", source, &a->allow_unmasked_proc, err) < 0 ||
      agent_bool(obj, "allow_writable_sys", source, &a->allow_writable_sys, err) < 0)
    return -1;
  return 0;
}

void cfg_agent_free(struct cfg_agent *a)
{
  strlist_free(&a->allow_capabilities);
  strlist_free(&a->allow_mounts);
}

#include "runtime/bottle/agent_spec.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

/* A bottled agent's netns has lo and one veth with IPv6 off; sysctls that would switch
 * IPv6 or routing back on are refused rather than quietly applied (threats.md 37). A pod's
 * member writes its sysctls into the netns its running agent shares, after that agent's start
 * gate. route_localnet would let 127/8 cross the link, so loopback-only servers stop being
 * loopback-only. */
int agent_check_sysctls(const cJSON *config, bottle_error_t *err)
{
  static const char *const weakening[] = {"disable_ipv6",  "forwarding", "accept_ra",
                                          "rp_filter",     "proxy_arp",  "ip_forward",
                                          "route_localnet"};
  const cJSON *s;
  cJSON_ArrayForEach(s, json_path(config, "linux.sysctl"))
  {
    for (size_t i = 0; i < sizeof(weakening) / sizeof(*weakening); i++)
      if (strstr(s->string, weakening[i]) != NULL)
        return berr(err, 0,
                    "linux.sysctl: %s would change the bottle's network (IPv6 and routing stay "
                    "off in an agent); remove it or run it plain (bottle.json \"mode\": \"plain\", "
                    "or a trusted bottle.mode=plain)",
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
 * raw-socket and routing tricks need (threats.md 7, 11). CAP_WAKE_ALARM is the one capability
 * the sidecar holds, so that a process with the sidecar's uid but without it fails the
 * kernel's ptrace access check on pipelock (runtime/bottle/sidecar.c): the agent must never hold
 * it. */
void agent_drop_caps(cJSON *process)
{
  static const char *const drop[] = {"CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_WAKE_ALARM"};
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

void agent_grants_free(struct agent_grants *g)
{
  free(g->list);
  g->list = NULL;
}

void agent_grant(struct agent_grants *g, const char *fmt, ...)
{
  if (g == NULL)
    return;
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *item = xvasprintf(fmt, ap);
  va_end(ap);
  if (g->list != NULL && strstr(g->list, item) != NULL)
    return; /* the same grant from another set or mount */
  char *list = g->list ? xasprintf("%s, %s", g->list, item) : xstrdup(item);
  free(g->list);
  g->list = list;
}

static bool has_string(const cJSON *array, const char *s)
{
  const cJSON *it;
  cJSON_ArrayForEach(it, array)
  {
    if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
      return true;
  }
  return false;
}

/* A capability in any set counts: one in the bounding set alone comes back through a file
 * capability or a setuid binary. */
static int check_caps(const cJSON *process, const struct cfg_agent *a, struct agent_grants *g,
                      bottle_error_t *err)
{
  const cJSON *set;
  cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(process, "capabilities"))
  {
    const cJSON *c;
    cJSON_ArrayForEach(c, set)
    {
      const struct cfg_refused_cap *r =
          cJSON_IsString(c) ? cfg_agent_refused_cap(c->valuestring) : NULL;
      if (r == NULL)
        continue;
      if (strlist_contains(&a->allow_capabilities, r->name)) {
        agent_grant(g, "%s (agent.allow_capabilities)", r->name);
        continue;
      }
      return berr(err, 0,
                  "process.capabilities.%s: %s lets a bottled agent leave its bottle (%s); "
                  "remove it (docker: drop --cap-add %s) or allow it in bottle.json "
                  "agent.allow_capabilities",
                  set->string, r->name, r->why, r->name + 4);
    }
  }
  return 0;
}

/* Character devices that are the host's memory or I/O ports (mem, kmem, port; msr). */
static bool host_memory_device(long long major, long long minor)
{
  return major < 0 || (major == 1 && (minor < 0 || minor == 1 || minor == 2 || minor == 4)) ||
         major == 202;
}

/* "b 8:0", "c 1:1", "a *:*" */
static const char *device_kind(const char *type, long long major, long long minor, char *buf,
                               size_t size)
{
  char ma[24] = "*", mi[24] = "*";
  if (major >= 0)
    snprintf(ma, sizeof(ma), "%lld", major);
  if (minor >= 0)
    snprintf(mi, sizeof(mi), "%lld", minor);
  snprintf(buf, size, "%s %s:%s", type, ma, mi);
  return buf;
}

static bool device_leaves(const char *type, long long major, long long minor)
{
  return strcmp(type, "a") == 0 || strcmp(type, "b") == 0 ||
         ((strcmp(type, "c") == 0 || strcmp(type, "u") == 0) && host_memory_device(major, minor));
}

static int check_devices(const cJSON *config, const struct cfg_agent *a, struct agent_grants *g,
                         bottle_error_t *err)
{
  char kind[64];
  int i = 0;
  const cJSON *d;
  cJSON_ArrayForEach(d, json_path(config, "linux.devices"))
  {
    const char *type = json_str(d, "type", "");
    long long major = json_int(d, "major", -1), minor = json_int(d, "minor", -1);
    if (device_leaves(type, major, minor)) {
      if (!a->allow_devices)
        return berr(err, 0,
                    "linux.devices[%d]: %s (%s) is a host %s device a bottled agent could read "
                    "or write the host through; remove it (docker: drop --device or "
                    "--privileged) or set bottle.json agent.allow_devices",
                    i, json_str(d, "path", "?"),
                    device_kind(type, major, minor, kind, sizeof(kind)),
                    strcmp(type, "b") == 0 ? "block" : "memory");
      agent_grant(g, "host devices (agent.allow_devices)");
    }
    i++;
  }
  /* The device cgroup starts from "deny all" (runtime/cgroup/cgroup_devices.c); an allow rule that
   * grants reading or writing a host block device, memory, or every device is refused whatever
   * rules follow it (mknod, which Docker grants, makes any allowed device reachable). */
  i = 0;
  cJSON_ArrayForEach(d, json_path(config, "linux.resources.devices"))
  {
    const char *access = json_str(d, "access", "rwm");
    const char *type = json_str(d, "type", "a");
    long long major = json_int(d, "major", -1), minor = json_int(d, "minor", -1);
    if (json_bool(d, "allow", false) && strpbrk(access, "rw") != NULL &&
        device_leaves(type, major, minor)) {
      if (!a->allow_devices)
        return berr(err, 0,
                    "linux.resources.devices[%d]: allowing %s %s lets a bottled agent read or "
                    "write host devices (disks, memory); remove the rule (docker: drop --device, "
                    "--device-cgroup-rule or --privileged) or set bottle.json agent.allow_devices",
                    i, device_kind(type, major, minor, kind, sizeof(kind)), access);
      agent_grant(g, "host devices (agent.allow_devices)");
    }
    i++;
  }
  return 0;
}

/* What Docker, containerd and podman all mask or make read-only by default: kernel memory and
 * pointers, host process and key listings, firmware, sysrq and the host's IRQ and bus knobs.
 * /proc/sys is left out: bottle makes it read-only in every agent (agent_readonly_proc_sys). */
static const char *const must_mask[] = {
    "/proc/acpi",        "/proc/kcore", "/proc/keys",       "/proc/latency_stats",
    "/proc/sched_debug", "/proc/scsi",  "/proc/timer_list", "/proc/timer_stats",
    "/sys/firmware",     NULL};
static const char *const must_readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq",
                                            "/proc/sysrq-trigger", NULL};

/* path, or a directory above it, is in list (trailing slashes ignored). */
static bool path_listed(const cJSON *list, const char *path)
{
  const cJSON *it;
  cJSON_ArrayForEach(it, list)
  {
    if (!cJSON_IsString(it))
      continue;
    size_t n = strlen(it->valuestring);
    while (n > 1 && it->valuestring[n - 1] == '/')
      n--;
    if (strncmp(path, it->valuestring, n) == 0 && (path[n] == '\0' || path[n] == '/'))
      return true;
  }
  return false;
}

/* dst without repeated or trailing slashes and "." components; false if it has "..". */
static bool clean_path(const char *dst, char *out, size_t size)
{
  size_t o = 0;
  for (const char *p = dst; *p;) {
    while (*p == '/')
      p++;
    const char *e = p + strcspn(p, "/");
    size_t n = (size_t)(e - p);
    if (n == 0 || (n == 1 && *p == '.')) {
      p = e;
      continue;
    }
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return false;
    if (o + n + 2 > size)
      return false;
    out[o++] = '/';
    memcpy(out + o, p, n);
    o += n;
    p = e;
  }
  if (o == 0)
    out[o++] = '/';
  out[o] = '\0';
  return true;
}

static int check_proc(const cJSON *config, const struct cfg_agent *a, struct agent_grants *g,
                      bottle_error_t *err)
{
  const cJSON *masked = json_path(config, "linux.maskedPaths");
  const cJSON *ro = json_path(config, "linux.readonlyPaths");
  const char *open_path = NULL;
  for (size_t i = 0; must_mask[i] && open_path == NULL; i++)
    if (!path_listed(masked, must_mask[i]))
      open_path = must_mask[i];
  bool in_masked = open_path != NULL;
  for (size_t i = 0; must_readonly[i] && open_path == NULL; i++)
    if (!path_listed(masked, must_readonly[i]) && !path_listed(ro, must_readonly[i]))
      open_path = must_readonly[i];
  if (open_path != NULL) {
    if (!a->allow_unmasked_proc)
      return berr(err, 0,
                  "linux.%s: %s is left open, and an unmasked /proc shows a bottled agent the "
                  "host's kernel (memory, keys, sysrq); mask it as the engines do by default "
                  "(docker: drop --security-opt systempaths=unconfined or --privileged) or set "
                  "bottle.json agent.allow_unmasked_proc",
                  in_masked ? "maskedPaths" : "readonlyPaths", open_path);
    agent_grant(g, "an unmasked /proc (agent.allow_unmasked_proc)");
  }
  int i = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(config, "mounts"))
  {
    char dst[4096];
    if (strcmp(json_str(m, "type", ""), "proc") == 0 &&
        (!clean_path(json_str(m, "destination", ""), dst, sizeof(dst)) ||
         strcmp(dst, "/proc") != 0)) {
      if (!a->allow_unmasked_proc)
        return berr(err, 0,
                    "mounts[%d]: a proc at %s gets none of the /proc masks, so a bottled agent "
                    "would see the host's kernel through it (/proc/sys writable included); mount "
                    "proc at /proc only or set bottle.json agent.allow_unmasked_proc",
                    i, json_str(m, "destination", ""));
      agent_grant(g, "an unmasked /proc (agent.allow_unmasked_proc)");
    }
    i++;
  }
  return 0;
}

/* Kernel filesystems whose files are host-wide knobs: writable, one of them runs a host
 * program as root on the next event (uevent_helper, a cgroup v1 release_agent, a binfmt_misc
 * entry). */
static const char *const knob_fs[] = {"sysfs",    "cgroup",  "cgroup2",     "securityfs",
                                      "debugfs",  "tracefs", "bpf",         "efivarfs",
                                      "configfs", "pstore",  "binfmt_misc", NULL};

bool agent_knob_fs(const char *type)
{
  for (size_t i = 0; knob_fs[i]; i++)
    if (strcmp(knob_fs[i], type) == 0)
      return true;
  return false;
}

/* The mount's options leave it read-only: the last of ro/rw says; rro makes a bind read-only
 * all the way down, ro only its top (as with runc). *recursive: "rro" or not an rbind. */
bool agent_mount_readonly(const cJSON *mount, bool *recursive)
{
  bool ro = false, rro = false, rbind = false;
  const cJSON *o;
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(mount, "options"))
  {
    if (!cJSON_IsString(o))
      continue;
    const char *v = o->valuestring;
    if (strcmp(v, "ro") == 0)
      ro = true;
    else if (strcmp(v, "rw") == 0)
      ro = false;
    else if (strcmp(v, "rro") == 0)
      rro = true;
    else if (strcmp(v, "rrw") == 0)
      rro = false;
    else if (strcmp(v, "rbind") == 0)
      rbind = true;
  }
  if (recursive != NULL)
    *recursive = rro || !rbind;
  return ro || rro;
}

static int check_knob_mounts(const cJSON *config, const struct cfg_agent *a, struct agent_grants *g,
                             bottle_error_t *err)
{
  int i = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(config, "mounts"))
  {
    const char *type = json_str(m, "type", "");
    if (agent_knob_fs(type) && !agent_mount_readonly(m, NULL)) {
      if (!a->allow_writable_sys)
        return berr(err, 0,
                    "mounts[%d]: %s at %s is writable, and its files are host-wide kernel knobs "
                    "(uevent_helper, release_agent) a bottled agent could run a host program "
                    "through; mount it \"ro\" (docker: drop --privileged) or set bottle.json "
                    "agent.allow_writable_sys",
                    i, type, json_str(m, "destination", ""));
      agent_grant(g, "a writable /sys (agent.allow_writable_sys)");
    }
    i++;
  }
  return 0;
}

/* Docker's --privileged: every capability and an allow-all device rule. */
static bool looks_privileged(const cJSON *config)
{
  bool all_devices = false;
  const cJSON *d;
  cJSON_ArrayForEach(d, json_path(config, "linux.resources.devices"))
  {
    all_devices = all_devices ||
                  (json_bool(d, "allow", false) && strcmp(json_str(d, "type", "a"), "a") == 0 &&
                   strpbrk(json_str(d, "access", "rwm"), "rw") != NULL);
  }
  return all_devices &&
         has_string(json_path(config, "process.capabilities.bounding"), "CAP_SYS_ADMIN");
}

/* A sidecar's cgroup (bottled.c: "<agent's cgroupsPath>-bottle-sidecar", the systemd driver's
 * "slice:prefix:<name>-bottle-sidecar", or "/bottle/<name>-sidecar") is its own: a container
 * placed in it, or under it, sets the proxy's CPU, memory and pids limits (sidecar.resources)
 * and shares them, so it could lift them or starve pipelock; `update` and `pause` of that
 * container would reach the proxy too. */
static int check_cgroup(const cJSON *config, bottle_error_t *err)
{
  static const char suffix[] = "-bottle-sidecar";
  const char *given = json_str(json_path(config, "linux"), "cgroupsPath", "");
  /* judged as create will read it: "//bottle/x-sidecar" or "/a/../bottle/x-sidecar" is
   * "/bottle/x-sidecar" there */
  cleanup_free char *path = cgroup_path_clean(given);
  if (path == NULL)
    abort();
  bool sidecars = strncmp(path, "/bottle/", 8) == 0 && strstr(path + 8, "-sidecar") != NULL;
  for (const char *part = path; !sidecars && *part;) {
    size_t n = strcspn(part, "/:");
    sidecars = n >= sizeof(suffix) - 1 &&
               strncmp(part + n - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) == 0;
    part += n + (part[n] != '\0');
  }
  if (sidecars)
    return berr(err, 0,
                "linux.cgroupsPath: %s is a bottle's sidecar cgroup (or inside one), whose limits "
                "are its proxy's; give the container a cgroup of its own",
                given);
  return 0;
}

int agent_check_privileges(const cJSON *config, const struct bottle_config *cfg,
                           struct agent_grants *granted, bottle_error_t *err)
{
  if (check_cgroup(config, err) < 0)
    return -1;
  const struct cfg_agent *a = &cfg->agent;
  const cJSON *process = cJSON_GetObjectItemCaseSensitive(config, "process");
  if (check_caps(process, a, granted, err) == 0 && check_devices(config, a, granted, err) == 0 &&
      check_proc(config, a, granted, err) == 0 && check_knob_mounts(config, a, granted, err) == 0)
    return 0;
  if (!looks_privileged(config))
    return -1;
  cleanup_free char *first = xstrdup(err->msg);
  berr_clear(err);
  return berr(err, 0,
              "the container is privileged (docker --privileged: every capability and host "
              "device, /proc and /sys open), which lets a bottled agent leave its bottle; drop "
              "--privileged (first refused: %s)",
              first);
}

cJSON *agent_bounding(const cJSON *process)
{
  const cJSON *b = json_path(process, "capabilities.bounding");
  return b ? cJSON_Duplicate(b, true) : cJSON_CreateArray();
}

void agent_limit_exec_caps(cJSON *process, const cJSON *bounding)
{
  cJSON *set;
  cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(process, "capabilities"))
  {
    for (int i = cJSON_GetArraySize(set) - 1; i >= 0; i--) {
      const cJSON *c = cJSON_GetArrayItem(set, i);
      if (!cJSON_IsString(c) || !has_string(bounding, c->valuestring))
        cJSON_DeleteItemFromArray(set, i);
    }
  }
}

#include "runtime/container/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

int spec_load(const char *dir, cJSON **out, bottle_error_t *err)
{
  cleanup_free char *path = xasprintf("%s/config.json", dir ? dir : ".");
  cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
  if (text == NULL)
    return berr(err, errno, "open %s", path);
  cJSON *j = cJSON_Parse(text);
  if (j == NULL || !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return berr(err, 0, "config.json: not a valid JSON object (near byte %ld)",
                (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : 0));
  }
  *out = j;
  return 0;
}

int spec_validate_process(const cJSON *process, bottle_error_t *err)
{
  if (!cJSON_IsObject(process))
    return berr(err, 0, "process: missing; config.json needs a \"process\" object");
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(process, "args");
  if (!cJSON_IsArray(args) || cJSON_GetArraySize(args) == 0)
    return berr(err, 0, "args must not be empty");
  const cJSON *a;
  cJSON_ArrayForEach(a, args) if (!cJSON_IsString(a)) return berr(
      err, 0, "process.args: every element must be a string");
  const char *cwd = json_str(process, "cwd", "");
  if (*cwd == '\0')
    return berr(err, 0, "Cwd property must not be empty");
  if (cwd[0] != '/')
    return berr(err, 0, "Cwd must be an absolute path");
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(process, "env");
  if (env != NULL && !cJSON_IsArray(env))
    return berr(err, 0, "process.env: must be an array of \"KEY=value\" strings");
  return 0;
}

int spec_validate(const cJSON *config, bottle_error_t *err)
{
  if (spec_validate_process(cJSON_GetObjectItemCaseSensitive(config, "process"), err) < 0)
    return -1;
  const cJSON *root = cJSON_GetObjectItemCaseSensitive(config, "root");
  if (!cJSON_IsObject(root) || *json_str(root, "path", "") == '\0')
    return berr(err, 0, "root.path: missing; config.json needs \"root\": {\"path\": \"rootfs\"}");
  const cJSON *nss = json_path(config, "linux.namespaces");
  const cJSON *ns;
  cJSON_ArrayForEach(ns, nss)
  {
    const char *t = json_str(ns, "type", "");
    static const char *known[] = {"pid", "network", "mount",  "ipc",
                                  "uts", "user",    "cgroup", "time"};
    bool ok = false;
    for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
      ok = ok || strcmp(t, known[i]) == 0;
    if (!ok)
      return berr(err, 0, "linux.namespaces: unknown namespace type \"%s\"", t);
  }
  if (spec_has_namespace(config, "user") && !spec_new_namespace(config, "user")) {
    /* joined by path: mappings come from that namespace */
  } else if (spec_new_namespace(config, "user")) {
    if (!cJSON_IsArray(json_path(config, "linux.uidMappings")) ||
        !cJSON_IsArray(json_path(config, "linux.gidMappings")))
      return berr(err, 0, "linux.uidMappings/gidMappings: required with a new user namespace");
  }
  const char *hostname = json_str(config, "hostname", "");
  if (*hostname && !spec_has_namespace(config, "uts")) /* joined by path: named there, as runc */
    return berr(err, 0, "unable to set hostname without a private UTS namespace");
  return spec_validate_sysctls(config, err);
}

/* The ipc namespace's own sysctls (runc's list), besides fs.mqueue.*. */
static bool ipc_sysctl(const char *dotted)
{
  static const char *const names[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
    if (strcmp(dotted, names[i]) == 0)
      return true;
  return strncmp(dotted, "fs.mqueue.", strlen("fs.mqueue.")) == 0;
}

/* Whether the network namespace config names is the runtime's own (joined by a path to it). */
static bool joins_own_netns(const cJSON *config)
{
  const char *path = json_str(spec_namespace(config, "network"), "path", "");
  struct stat theirs, ours;
  return *path != '\0' && stat(path, &theirs) == 0 && stat("/proc/self/ns/net", &ours) == 0 &&
         theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

int spec_validate_sysctls(const cJSON *config, bottle_error_t *err)
{
  const cJSON *kv;
  cJSON_ArrayForEach(kv, json_path(config, "linux.sysctl"))
  {
    const char *name = kv->string;
    if (!cJSON_IsString(kv))
      return berr(err, 0, "linux.sysctl.%s: value must be a string", name);
    /* "net/ipv4/ip_forward" names the file "net.ipv4.ip_forward" does */
    cleanup_free char *dotted = xstrdup(name);
    for (char *p = dotted; *p; p++)
      if (*p == '/')
        *p = '.';
    size_t n = strlen(dotted);
    if (n == 0 || dotted[0] == '.' || dotted[n - 1] == '.' || strstr(dotted, "..") != NULL)
      return berr(err, 0, "linux.sysctl: \"%s\" is not a sysctl name (an empty part); remove it",
                  name);
    if (ipc_sysctl(dotted)) {
      if (!spec_has_namespace(config, "ipc"))
        return berr(err, 0,
                    "linux.sysctl: %s is not allowed in the host's ipc namespace; give the "
                    "container one in linux.namespaces or remove the sysctl",
                    name);
    } else if (strncmp(dotted, "net.", 4) == 0) {
      if (!spec_has_namespace(config, "network") || joins_own_netns(config))
        return berr(err, 0,
                    "linux.sysctl: %s is not allowed in the host's network namespace; give the "
                    "container one in linux.namespaces or remove the sysctl",
                    name);
    } else if (strcmp(dotted, "kernel.domainname") == 0 && spec_has_namespace(config, "uts")) {
      /* the UTS namespace's, with no OCI field of its own */
    } else if (strcmp(dotted, "kernel.hostname") == 0 && spec_has_namespace(config, "uts")) {
      return berr(err, 0,
                  "linux.sysctl: kernel.hostname conflicts with the OCI \"hostname\" field; set "
                  "\"hostname\" instead");
    } else {
      /* written as host root before pivot_root: the host's own setting */
      return berr(err, 0,
                  "linux.sysctl: %s is not in a separate kernel namespace (it would change the "
                  "host's); remove it",
                  name);
    }
  }
  return 0;
}

const cJSON *spec_namespace(const cJSON *config, const char *type)
{
  const cJSON *ns;
  cJSON_ArrayForEach(ns, json_path(config, "linux.namespaces"))
  {
    const char *t = json_str(ns, "type", "");
    if (strcmp(t, type) == 0 || (strcmp(type, "network") == 0 && strcmp(t, "net") == 0))
      return ns;
  }
  return NULL;
}

bool spec_has_namespace(const cJSON *config, const char *type)
{
  return spec_namespace(config, type) != NULL;
}

bool spec_new_namespace(const cJSON *config, const char *type)
{
  const cJSON *ns = spec_namespace(config, type);
  return ns != NULL && *json_str(ns, "path", "") == '\0';
}

static const char *template_json =
    "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},"
    "\"args\":[\"sh\"],\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/"
    "bin\",\"TERM=xterm\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\","
    "\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_"
    "NET_BIND_SERVICE\"],\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},\"rlimits\":[{"
    "\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},\"root\":{"
    "\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"runc\",\"mounts\":[{\"destination\":\"/"
    "proc\",\"type\":\"proc\",\"source\":\"proc\"},{\"destination\":\"/dev\",\"type\":\"tmpfs\","
    "\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},{"
    "\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":["
    "\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},{"
    "\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\","
    "\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},{\"destination\":\"/dev/mqueue\","
    "\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},{"
    "\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\","
    "\"noexec\",\"nodev\",\"ro\"]},{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\","
    "\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
    "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},\"namespaces\":"
    "[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":"
    "\"mount\"}],\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
    "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/"
    "sys/firmware\",\"/proc/scsi\"],\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\","
    "\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

cJSON *spec_template(bool rootless)
{
  cJSON *j = cJSON_Parse(template_json);
  if (j == NULL)
    abort();
  if (rootless) {
    /* runc's ToRootless: a user namespace mapping the caller, no network ns,
     * sysfs bind-mounted, no resources, mqueue/cgroup rules relaxed. */
    cJSON *linux = cJSON_GetObjectItem(j, "linux");
    cJSON_DeleteItemFromObject(linux, "resources");
    cJSON *nss = cJSON_GetObjectItem(linux, "namespaces");
    for (int i = cJSON_GetArraySize(nss) - 1; i >= 0; i--) {
      const char *t = json_str(cJSON_GetArrayItem(nss, i), "type", "");
      if (strcmp(t, "network") == 0)
        cJSON_DeleteItemFromArray(nss, i);
    }
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "type", "user");
    cJSON_AddItemToArray(nss, u);
    char *maps = xasprintf("[{\"containerID\":0,\"hostID\":%u,\"size\":1}]", (unsigned)getuid());
    cJSON_AddItemToObject(linux, "uidMappings", cJSON_Parse(maps));
    free(maps);
    maps = xasprintf("[{\"containerID\":0,\"hostID\":%u,\"size\":1}]", (unsigned)getgid());
    cJSON_AddItemToObject(linux, "gidMappings", cJSON_Parse(maps));
    free(maps);
    cJSON *mounts = cJSON_GetObjectItem(j, "mounts");
    for (int i = cJSON_GetArraySize(mounts) - 1; i >= 0; i--) {
      cJSON *m = cJSON_GetArrayItem(mounts, i);
      const char *d = json_str(m, "destination", "");
      if (strcmp(d, "/sys") == 0) {
        cJSON_ReplaceItemInArray(
            mounts, i,
            cJSON_Parse("{\"destination\":\"/sys\",\"type\":\"none\",\"source\":\"/sys\","
                        "\"options\":[\"rbind\",\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}"));
      } else if (strcmp(d, "/dev/pts") == 0) {
        cJSON *opts = cJSON_GetObjectItem(m, "options");
        for (int k = cJSON_GetArraySize(opts) - 1; k >= 0; k--)
          if (strcmp(cJSON_GetArrayItem(opts, k)->valuestring, "gid=5") == 0)
            cJSON_DeleteItemFromArray(opts, k);
      } else if (strcmp(d, "/sys/fs/cgroup") == 0) {
        cJSON_DeleteItemFromArray(mounts, i);
      }
    }
  }
  return j;
}

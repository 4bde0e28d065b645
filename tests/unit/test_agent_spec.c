/* runtime/bottle/agent_spec.c: the edits a bottled agent's config.json gets. Run under ASan by
 * `make test` (build/asan), which is what catches an edit that reads an item it has freed. */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/bottle/agent_spec.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "tests/unit/unit.h"

static char *caps_after_drop(const char *process_json)
{
  cJSON *process = cJSON_Parse(process_json);
  if (process == NULL)
    return NULL;
  agent_drop_caps(process);
  char *out = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(process, "capabilities"));
  cJSON_Delete(process);
  return out;
}

static void test_drop_caps(void)
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
  /* The sidecar's guard capability (runtime/bottle/sidecar.c) never reaches an agent. */
  out = caps_after_drop("{\"capabilities\": {\"bounding\": [\"CAP_WAKE_ALARM\", \"CAP_KILL\"],"
                        "\"ambient\": [\"CAP_WAKE_ALARM\"]}}");
  CHECK_STREQ(out, "{\"bounding\":[\"CAP_KILL\"],\"ambient\":[]}");
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

/* A config.json as Docker 20.10 writes it for `docker run busybox` (the parts checked here). */
static const char *const docker_default =
    "{\"process\": {\"capabilities\": {"
    "\"bounding\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FSETID\", \"CAP_FOWNER\", "
    "\"CAP_MKNOD\", \"CAP_NET_RAW\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETFCAP\", "
    "\"CAP_SETPCAP\", \"CAP_NET_BIND_SERVICE\", \"CAP_SYS_CHROOT\", \"CAP_KILL\", "
    "\"CAP_AUDIT_WRITE\"], \"effective\": [\"CAP_CHOWN\"], \"permitted\": [\"CAP_CHOWN\"]}},"
    " \"mounts\": ["
    "{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\", \"options\": "
    "[\"nosuid\", \"noexec\", \"nodev\"]},"
    "{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": "
    "[\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
    "{\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\", "
    "\"options\": [\"ro\", \"nosuid\", \"noexec\", \"nodev\"]},"
    "{\"destination\": \"/etc/hosts\", \"type\": \"bind\", \"source\": \"/etc/hosts\", "
    "\"options\": [\"rbind\", \"rprivate\"]}],"
    " \"linux\": {\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
    "{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"rwm\"},"
    "{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 200, \"access\": \"rwm\"},"
    "{\"allow\": true, \"type\": \"b\", \"access\": \"m\"}]},"
    " \"maskedPaths\": [\"/proc/asound\", \"/proc/acpi\", \"/proc/kcore\", \"/proc/keys\", "
    "\"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", "
    "\"/proc/sched_debug\", \"/proc/scsi\", \"/sys/firmware\"],"
    " \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
    "\"/proc/sysrq-trigger\"]}}";

static struct bottle_config *agent_cfg(const char *agent_json)
{
  struct bottle_config *cfg = NULL;
  bottle_error_t ce = {0};
  cleanup_free char *json = xasprintf("{\"agent\": %s}", agent_json ? agent_json : "{}");
  CHECK(cfg_parse(json, strlen(json), "bottle.json", (char *const[]){NULL}, &cfg, &ce) == 0);
  return cfg;
}

typedef int check_fn(const cJSON *config, const struct bottle_config *cfg,
                     struct agent_grants *granted, bottle_error_t *err);

/* Runs check on config c (freed) under bottle.json {"agent": agent_json}. Returns the error
 * message (malloc'd), or NULL when the config passes; *granted gets the grants. */
static char *run_check(check_fn *check, cJSON *c, const char *agent_json, char **granted)
{
  struct bottle_config *cfg = agent_cfg(agent_json);
  struct agent_grants g = {0};
  bottle_error_t err = {0};
  char *msg = NULL;
  if (c != NULL && cfg != NULL && check(c, cfg, &g, &err) < 0) {
    msg = xstrdup(err.msg);
    berr_clear(&err);
  }
  if (granted)
    *granted = g.list ? xstrdup(g.list) : NULL;
  agent_grants_free(&g);
  cfg_free(cfg);
  cJSON_Delete(c);
  return msg;
}

/* docker_default edited by a C callback on the parsed tree, through agent_check_privileges. */
static char *privileges(void (*edit)(cJSON *c), const char *agent_json, char **granted)
{
  cJSON *c = cJSON_Parse(docker_default);
  if (edit)
    edit(c);
  return run_check(agent_check_privileges, c, agent_json, granted);
}

#define PRIV_REFUSED(edit, part)                                                                   \
  do {                                                                                             \
    char *m_ = privileges(edit, NULL, NULL);                                                       \
    CHECK_CONTAINS(m_, part);                                                                      \
    free(m_);                                                                                      \
  } while (0)
#define PRIV_PASSES(edit)                                                                          \
  do {                                                                                             \
    char *m_ = privileges(edit, NULL, NULL);                                                       \
    CHECK_STREQ(m_, NULL);                                                                         \
    free(m_);                                                                                      \
  } while (0)

static const char *added_cap;
static void add_cap_bounding(cJSON *c)
{
  cJSON_AddItemToArray((cJSON *)json_path(c, "process.capabilities.bounding"),
                       cJSON_CreateString(added_cap));
}
static void add_cap_effective(cJSON *c)
{
  cJSON_AddItemToArray((cJSON *)json_path(c, "process.capabilities.effective"),
                       cJSON_CreateString(added_cap));
}

static void test_default_passes(void)
{
  char *granted = NULL;
  char *msg = privileges(NULL, NULL, &granted);
  CHECK_STREQ(msg, NULL);
  CHECK_STREQ(granted, NULL);
  free(msg);
}

static void test_capabilities(void)
{
  added_cap = "CAP_SYS_ADMIN";
  char *msg = privileges(add_cap_bounding, NULL, NULL);
  CHECK_STREQ(msg, "process.capabilities.bounding: CAP_SYS_ADMIN lets a bottled agent leave its "
                   "bottle (mounts, namespaces and most of the kernel's admin interfaces); remove "
                   "it (docker: drop --cap-add SYS_ADMIN) or allow it in bottle.json "
                   "agent.allow_capabilities");
  free(msg);
  /* Every refused capability, in whichever set it appears. */
  for (const struct cfg_refused_cap *r = cfg_agent_refused_caps; r->name; r++) {
    added_cap = r->name;
    msg = privileges(add_cap_effective, NULL, NULL);
    CHECK_CONTAINS(msg, "process.capabilities.effective: ");
    CHECK_CONTAINS(msg, r->name);
    free(msg);
  }
  /* Allowed by the operator: passes, and says so. Another capability stays refused. */
  added_cap = "CAP_SYS_PTRACE";
  char *granted = NULL;
  msg = privileges(add_cap_bounding, "{\"allow_capabilities\": [\"CAP_SYS_PTRACE\"]}", &granted);
  CHECK_STREQ(msg, NULL);
  CHECK_STREQ(granted, "CAP_SYS_PTRACE (agent.allow_capabilities)");
  free(granted);
  msg = privileges(add_cap_bounding, "{\"allow_capabilities\": [\"CAP_SYS_ADMIN\"]}", NULL);
  CHECK_CONTAINS(msg, "CAP_SYS_PTRACE lets a bottled agent leave its bottle");
  free(msg);
}

static void add_block_device(cJSON *c)
{
  cJSON *d = cJSON_Parse("[{\"path\": \"/dev/sda\", \"type\": \"b\", \"major\": 8, \"minor\": 0}]");
  cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(c, "linux"), "devices", d);
}
static const char *added_rule;
static void add_device_rule(cJSON *c)
{
  cJSON_AddItemToArray((cJSON *)json_path(c, "linux.resources.devices"), cJSON_Parse(added_rule));
}

static void test_devices(void)
{
  char *msg = privileges(add_block_device, NULL, NULL);
  CHECK_STREQ(msg, "linux.devices[0]: /dev/sda (b 8:0) is a host block device a bottled agent "
                   "could read or write the host through; remove it (docker: drop --device or "
                   "--privileged) or set bottle.json agent.allow_devices");
  free(msg);
  char *granted = NULL;
  msg = privileges(add_block_device, "{\"allow_devices\": true}", &granted);
  CHECK_STREQ(msg, NULL);
  CHECK_STREQ(granted, "host devices (agent.allow_devices)");
  free(granted);
  static const struct {
    const char *rule;
    bool refused;
  } rules[] = {
      {"{\"allow\": true, \"type\": \"b\", \"major\": 7, \"access\": \"rw\"}", true},
      {"{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 1, \"access\": \"r\"}", true},
      {"{\"allow\": true, \"type\": \"c\", \"access\": \"rwm\"}", true},
      {"{\"allow\": true, \"access\": \"rwm\"}", true},
      {"{\"allow\": true, \"type\": \"a\", \"major\": 8, \"access\": \"w\"}", true},
      {"{\"allow\": true, \"type\": \"b\", \"access\": \"m\"}", false},
      {"{\"allow\": false, \"type\": \"b\", \"major\": 8, \"access\": \"rw\"}", false},
      {"{\"allow\": true, \"type\": \"c\", \"major\": 136, \"access\": \"rwm\"}", false},
      {"{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rwm\"}",
       false},
  };
  for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
    added_rule = rules[i].rule;
    msg = privileges(add_device_rule, NULL, NULL);
    if (rules[i].refused) {
      CHECK_CONTAINS(msg, "linux.resources.devices[4]: allowing ");
      CHECK_CONTAINS(msg, "agent.allow_devices");
    } else {
      CHECK_STREQ(msg, NULL);
    }
    free(msg);
  }
}

static void unmask(cJSON *c)
{
  cJSON_DeleteItemFromObject(cJSON_GetObjectItemCaseSensitive(c, "linux"), "maskedPaths");
  cJSON_DeleteItemFromObject(cJSON_GetObjectItemCaseSensitive(c, "linux"), "readonlyPaths");
}
static void sysrq_writable(cJSON *c)
{
  cJSON_DeleteItemFromArray((cJSON *)json_path(c, "linux.readonlyPaths"), 4);
}
static void mask_all_proc(cJSON *c)
{
  cJSON *l = cJSON_GetObjectItemCaseSensitive(c, "linux");
  cJSON_ReplaceItemInObject(l, "maskedPaths", cJSON_Parse("[\"/proc/\", \"/sys/firmware\"]"));
  cJSON_DeleteItemFromObject(l, "readonlyPaths");
}
static void second_proc(cJSON *c)
{
  cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(c, "mounts"),
                       cJSON_Parse("{\"destination\": \"/proc/../p\", \"type\": \"proc\"}"));
}
static void proc_slashes(cJSON *c)
{
  cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "mounts"), 0),
                            "destination", cJSON_CreateString("//proc/./"));
}

static void test_proc(void)
{
  char *msg = privileges(unmask, NULL, NULL);
  CHECK_STREQ(msg, "linux.maskedPaths: /proc/acpi is left open, and an unmasked /proc shows a "
                   "bottled agent the host's kernel (memory, keys, sysrq); mask it as the engines "
                   "do by default (docker: drop --security-opt systempaths=unconfined or "
                   "--privileged) or set bottle.json agent.allow_unmasked_proc");
  free(msg);
  PRIV_REFUSED(sysrq_writable, "linux.readonlyPaths: /proc/sysrq-trigger is left open");
  PRIV_PASSES(mask_all_proc);
  PRIV_REFUSED(second_proc, "mounts[4]: a proc at /proc/../p gets none of the /proc masks");
  PRIV_PASSES(proc_slashes);
  char *granted = NULL;
  msg = privileges(unmask, "{\"allow_unmasked_proc\": true}", &granted);
  CHECK_STREQ(msg, NULL);
  CHECK_STREQ(granted, "an unmasked /proc (agent.allow_unmasked_proc)");
  free(granted);
}

static void sys_rw(cJSON *c)
{
  cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "mounts"), 1);
  cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(m, "options"), cJSON_CreateString("rw"));
}
static void cgroup_rw(cJSON *c)
{
  cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "mounts"), 2);
  cJSON_ReplaceItemInObject(m, "options", cJSON_Parse("[\"nosuid\"]"));
}
/* docker --privileged: every capability, every device, no masks, /sys writable. */
static void privileged(cJSON *c)
{
  added_cap = "CAP_SYS_ADMIN";
  add_cap_bounding(c);
  added_rule = "{\"allow\": true, \"access\": \"rwm\"}";
  add_device_rule(c);
  unmask(c);
  sys_rw(c);
}

static void test_writable_sys_and_privileged(void)
{
  char *msg = privileges(sys_rw, NULL, NULL);
  CHECK_STREQ(msg, "mounts[1]: sysfs at /sys is writable, and its files are host-wide kernel "
                   "knobs (uevent_helper, release_agent) a bottled agent could run a host program "
                   "through; mount it \"ro\" (docker: drop --privileged) or set bottle.json "
                   "agent.allow_writable_sys");
  free(msg);
  msg = privileges(cgroup_rw, NULL, NULL);
  CHECK_CONTAINS(msg, "mounts[2]: cgroup at /sys/fs/cgroup is writable");
  free(msg);
  msg = privileges(cgroup_rw, "{\"allow_writable_sys\": true}", NULL);
  CHECK_STREQ(msg, NULL);
  free(msg);
  msg = privileges(privileged, NULL, NULL);
  CHECK_STREQ(msg, "the container is privileged (docker --privileged: every capability and host "
                   "device, /proc and /sys open), which lets a bottled agent leave its bottle; "
                   "drop --privileged (first refused: process.capabilities.bounding: "
                   "CAP_SYS_ADMIN lets a bottled agent leave its bottle (mounts, namespaces and "
                   "most of the kernel's admin interfaces); remove it (docker: drop --cap-add "
                   "SYS_ADMIN) or allow it in bottle.json agent.allow_capabilities)");
  free(msg);
  char *granted = NULL;
  msg = privileges(privileged,
                   "{\"allow_capabilities\": [\"CAP_SYS_ADMIN\"], \"allow_devices\": true, "
                   "\"allow_unmasked_proc\": true, \"allow_writable_sys\": true}",
                   &granted);
  CHECK_STREQ(msg, NULL);
  CHECK_STREQ(granted, "CAP_SYS_ADMIN (agent.allow_capabilities), host devices "
                       "(agent.allow_devices), an unmasked /proc (agent.allow_unmasked_proc), a "
                       "writable /sys (agent.allow_writable_sys)");
  free(granted);
}

/* ---- bind mounts ---- */

static char tmpdir[] = "/tmp/test-agent-mounts.XXXXXX";

/* The message for one bind of source (options "rbind" plus extra), or NULL when it passes. */
static char *bind_check(const char *source, const char *extra_opt, const char *agent_json,
                        char **granted)
{
  cleanup_free char *json =
      xasprintf("{\"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"%s\", "
                "\"options\": [\"rbind\"%s%s%s]}]}",
                source, extra_opt ? ", \"" : "", extra_opt ? extra_opt : "", extra_opt ? "\"" : "");
  return run_check(agent_check_mounts, cJSON_Parse(json), agent_json, granted);
}

#define BIND_REFUSED(source, opt, part)                                                            \
  do {                                                                                             \
    char *m_ = bind_check(source, opt, NULL, NULL);                                                \
    CHECK_CONTAINS(m_, part);                                                                      \
    free(m_);                                                                                      \
  } while (0)
#define BIND_PASSES(source, opt)                                                                   \
  do {                                                                                             \
    char *m_ = bind_check(source, opt, NULL, NULL);                                                \
    CHECK_STREQ(m_, NULL);                                                                         \
    free(m_);                                                                                      \
  } while (0)

static int make_socket(const char *path)
{
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
    return -1;
  return fd;
}

static void test_mounts(void)
{
  /* A private mount namespace: the netns bind mount below goes with the process. */
  CHECK(unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
  CHECK(mkdtemp(tmpdir) != NULL);
  cleanup_free char *engine = xasprintf("%s/engine", tmpdir);
  cleanup_free char *sock = xasprintf("%s/engine/docker.sock", tmpdir);
  cleanup_free char *link = xasprintf("%s/link", tmpdir);
  cleanup_free char *dotted = xasprintf("%s/engine/../engine/", tmpdir);
  cleanup_free char *plain = xasprintf("%s/plain", tmpdir);
  cleanup_free char *nsdir = xasprintf("%s/netns", tmpdir);
  cleanup_free char *nsfile = xasprintf("%s/netns/n1", tmpdir);
  CHECK(mkdir(engine, 0700) == 0 && mkdir(plain, 0700) == 0 && mkdir(nsdir, 0700) == 0);
  int sfd = make_socket(sock);
  CHECK(sfd >= 0);
  CHECK(symlink(sock, link) == 0);
  int nfd = open(nsfile, O_CREAT | O_WRONLY, 0600);
  CHECK(nfd >= 0);
  close(nfd);
  CHECK(mount("/proc/self/ns/net", nsfile, NULL, MS_BIND, NULL) == 0);

  /* An engine's socket wherever it was put, through a link, and the directory above it. */
  BIND_REFUSED(sock, NULL, "is a container engine's API socket, a way out of the bottle");
  char *msg = bind_check(link, NULL, NULL, NULL);
  cleanup_free char *want = xasprintf(
      "mounts[0].source: %s, bound at /x in a bottled agent: %s is a container engine's API "
      "socket, a way out of the bottle; remove the mount (docker: drop -v %s:/x) or allow the "
      "host path in bottle.json agent.allow_mounts",
      link, sock, link);
  CHECK_STREQ(msg, want);
  free(msg);
  BIND_REFUSED(dotted, NULL, "holds");
  BIND_REFUSED(dotted, NULL, "docker.sock, a container engine's API socket");
  /* The host's root, /run (the engines' sockets live there), the host's /proc, nsfs. */
  BIND_REFUSED("/", NULL, "it is the host's whole filesystem");
  BIND_REFUSED("/proc/self/root", NULL, "it is the host's whole filesystem");
  BIND_REFUSED("/run", NULL, "/run holds /run/docker.sock, Docker's API socket");
  BIND_REFUSED("/var/run/", NULL, "/run holds /run/docker.sock");
  BIND_REFUSED("/proc", NULL, "it is the host's /proc");
  BIND_REFUSED("/proc/self/ns", NULL, "it is the host's /proc");
  BIND_REFUSED("/proc/self/ns/net", NULL, "it is a namespace file (nsfs)");
  BIND_REFUSED(nsfile, NULL, "it is a namespace file (nsfs)");
  BIND_REFUSED(nsdir, NULL, "it holds network namespace mounts such as");
  BIND_REFUSED(tmpdir, NULL, "it holds network namespace mounts such as");
  /* Kernel knobs: read-only all the way down, or refused. */
  BIND_REFUSED("/sys", NULL, "it is a kernel-knob filesystem left writable");
  msg = bind_check("/sys", "ro", NULL, NULL);
  CHECK_CONTAINS(msg, "agent.allow_writable_sys");
  free(msg);
  BIND_PASSES("/sys", "rro");
  BIND_REFUSED("/sys/fs/cgroup", "ro", "agent.allow_writable_sys");
  BIND_PASSES("/sys/fs/cgroup", "rro");
  /* Ordinary sources pass; a missing one is the mount's own error. */
  BIND_PASSES(plain, NULL);
  BIND_PASSES("/etc/hosts", NULL);
  BIND_PASSES("/nonexistent-bottle-test", NULL);
  /* The operator's opt-in, by the path as written or by what it resolves to. */
  char *granted = NULL;
  cleanup_free char *allow = xasprintf("{\"allow_mounts\": [\"%s\"]}", link);
  msg = bind_check(sock, NULL, allow, &granted);
  CHECK_STREQ(msg, NULL);
  cleanup_free char *want_grant = xasprintf("the host's %s at /x (agent.allow_mounts)", sock);
  CHECK_STREQ(granted, want_grant);
  free(granted);
  msg = bind_check(nsfile, NULL, allow, NULL);
  CHECK_CONTAINS(msg, "agent.allow_mounts");
  free(msg);

  umount2(nsfile, MNT_DETACH);
  close(sfd);
  unlink(sock);
  unlink(link);
  unlink(nsfile);
  rmdir(nsdir);
  rmdir(plain);
  rmdir(engine);
  rmdir(tmpdir);
}

/* A sidecar's cgroup, however cgroupsPath spells it (create cleans it lexically). */
static const char *cgroups_path;
static void set_cgroups_path(cJSON *c)
{
  cJSON *linux_ = cJSON_GetObjectItemCaseSensitive(c, "linux");
  cJSON_DeleteItemFromObject(linux_, "cgroupsPath");
  cJSON_AddStringToObject(linux_, "cgroupsPath", cgroups_path);
}

static void test_sidecar_cgroup(void)
{
  static const char *const refused[] = {
      "/bottle/0123456789abcdef-sidecar",   "//bottle/0123456789abcdef-sidecar",
      "/./bottle/0123456789abcdef-sidecar", "/x/../bottle/0123456789abcdef-sidecar",
      "bottle/0123456789abcdef-sidecar/in", "/docker/abc-bottle-sidecar",
      "/docker/abc-bottle-sidecar/inner",   "system.slice:docker:abc-bottle-sidecar",
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
    cgroups_path = refused[i];
    PRIV_REFUSED(set_cgroups_path, "is a bottle's sidecar cgroup");
  }
  static const char *const passes[] = {"/bottle/0123456789abcdef", "/docker/abc",
                                       "/docker/abc-bottle-sidecars-not/x"};
  for (size_t i = 0; i < sizeof(passes) / sizeof(*passes); i++) {
    cgroups_path = passes[i];
    PRIV_PASSES(set_cgroups_path);
  }
}

static void test_exec_caps(void)
{
  cJSON *process = cJSON_Parse(
      "{\"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_SYS_ADMIN\", \"CAP_KILL\"],"
      " \"effective\": [\"CAP_SYS_ADMIN\"], \"ambient\": [\"CAP_KILL\", \"CAP_BPF\"]}}");
  cJSON *bounding = cJSON_Parse("[\"CAP_CHOWN\", \"CAP_KILL\"]");
  agent_limit_exec_caps(process, bounding);
  char *out = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(process, "capabilities"));
  CHECK_STREQ(out, "{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[],"
                   "\"ambient\":[\"CAP_KILL\"]}");
  free(out);
  cJSON_Delete(bounding);
  cJSON_Delete(process);
}

int main(void)
{
  RUN(test_drop_caps);
  RUN(test_set_env);
  RUN(test_default_passes);
  RUN(test_capabilities);
  RUN(test_devices);
  RUN(test_proc);
  RUN(test_writable_sys_and_privileged);
  RUN(test_exec_caps);
  RUN(test_sidecar_cgroup);
  if (geteuid() == 0)
    RUN(test_mounts); /* a mount namespace and an nsfs bind mount of its own */
  else
    CHECK(0, "test_mounts needs root");
  return unit_finish();
}

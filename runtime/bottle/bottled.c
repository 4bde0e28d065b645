#include "runtime/bottle/bottle.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/bottle/agent_spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/policy.h"
#include "netns/netns.h"
#include "runtime/bottle/bottled_net.h"
#include "runtime/bottle/bottled_namespaces.h"
#include "runtime/bottle/bottled_proxyless.h"
#include "runtime/bottle/bottled_ssh.h"
#include "runtime/bottle/pod.h"
#include "runtime/lib/cleanup.h"
#include "runtime/container/hooks.h"
#include "runtime/lib/log.h"
#include "runtime/container/process.h"
#include "runtime/bottle/sidecar.h"
#include "runtime/container/spec.h"
#include "runtime/container/state.h"
#include "runtime/lib/util.h"

extern char **environ;

#define SIDECAR_ID "sidecar"
#define SIDECAR_CPU_PERIOD_US 100000

/* Where the agent's upstream comes from (docs/design.md). */
enum net_mode {
  NET_UPLINK,      /* a new netns and no engine hook: bottle's own uplink */
  NET_ENGINE_PATH, /* the engine named a netns (CNI): the sidecar joins it */
  NET_ENGINE_HOOK, /* a new netns the engine configures from a prestart hook (Docker) */
};

static const char *net_mode_name(enum net_mode m)
{
  switch (m) {
  case NET_UPLINK:
    return "own uplink";
  case NET_ENGINE_PATH:
    return "engine netns";
  case NET_ENGINE_HOOK:
    return "engine netns (prestart hook)";
  }
  return "?";
}

static void argv_cleanup(char ***a)
{
  cfg_argv_free(*a);
}

static char *side_dir(const struct bottle_context *ctx, const char *id)
{
  return xasprintf("%s/" BOTTLED_DIR "/%s", ctx->base.state_root, id);
}

/* A short name for netns/ (links, records): unique per (root, id), so two engines
 * that happen to use the same id under different roots do not collide. */
static void netns_name(const struct bottle_context *ctx, const char *id, char out[17])
{
  uint64_t h = 1469598103934665603ULL;
  for (const char *s = ctx->base.state_root; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  h = (h ^ '/') * 1099511628211ULL;
  for (const char *s = id; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Docker 20.10 gives --network host as a path, <exec-root>/netns/default, a bind mount of
 * dockerd's own netns: a path naming the runtime's own netns or init's is host networking. */
static bool is_host_netns(const struct stat *st)
{
  return stat_same_file(st, "/proc/self/ns/net") || stat_same_file(st, "/proc/1/ns/net");
}

/* Docker's network hook, `<dockerd> libnetwork-setkey -exec-root=DIR ID CONTROLLER`: the one
 * hook that is run against bottle's sidecar netns. Every other hook (a GPU hook, say) is the
 * agent's, and the agent's netns is checked after them (make_agent). */
static bool is_network_hook(const cJSON *hook)
{
  const cJSON *arg;
  cJSON_ArrayForEach(arg, cJSON_GetObjectItemCaseSensitive(hook, "args"))
  {
    if (cJSON_IsString(arg) && strcmp(arg->valuestring, "libnetwork-setkey") == 0)
      return true;
  }
  return false;
}

static bool has_network_hook(const cJSON *config)
{
  const cJSON *hook;
  cJSON_ArrayForEach(hook, json_path(config, "hooks.prestart"))
  {
    if (is_network_hook(hook))
      return true;
  }
  return false;
}

/* Splits config's prestart hooks: the network ones move to a copy of config that holds no
 * other hook (the one to run against the sidecar netns, returned); the rest stay. */
static cJSON *take_network_hooks(cJSON *config)
{
  cJSON *copy = cJSON_Duplicate(config, true);
  cJSON *hooks = cJSON_CreateObject();
  cJSON *network = cJSON_AddArrayToObject(hooks, "prestart");
  cJSON_ReplaceItemInObjectCaseSensitive(copy, "hooks", hooks);
  cJSON *prestart = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(config, "hooks"), "prestart");
  for (cJSON *hook = prestart ? prestart->child : NULL, *next; hook != NULL; hook = next) {
    next = hook->next;
    if (is_network_hook(hook))
      cJSON_AddItemToArray(network, cJSON_DetachItemViaPointer(prestart, hook));
  }
  return copy;
}

static int decide_net_mode(const cJSON *config, enum net_mode *mode, char path[PATH_MAX],
                           struct stat *judged, bottle_error_t *err)
{
  const cJSON *net = spec_namespace(config, "network");
  if (net == NULL)
    return berr(err, 0,
                "linux.namespaces: a bottled container needs its own network namespace (host "
                "networking, e.g. docker --network host, cannot be confined); drop the host "
                "network or run it plain (bottle.json \"mode\": \"plain\", or a trusted "
                "bottle.mode=plain)");
  const char *p = json_str(net, "path", "");
  if (*p != '\0') {
    /* Judged by what the path is, not by how it is spelled: a symlink or
     * /proc/<pid>/root/proc/<pid>/ns/net names another process's namespace without looking
     * like /proc/<pid>/ns/net. An engine's netns (CNI, Docker's sandbox keys) is an nsfs file
     * bind-mounted on an ordinary path, which the opened file's link names as it is; a /proc
     * magic link names "net:[...]" there, and bottle's own netns are not for joining. Every
     * judgement is made on one open file; the bottle then uses the path that file was opened
     * at (no symlink left in it: the sidecar joins it by that path) and the network build
     * requires the file's identity (netns_spec.engine_dev/ino), so a symlink swapped after the
     * checks cannot take the sidecar elsewhere. */
    cleanup_close int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, judged) < 0)
      return berr(err, errno, "linux.namespaces: network path %s", p);
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof(real) - 1);
    real[n > 0 ? n : 0] = '\0';
    bool proc = real[0] != '/' || strncmp(real, "/proc/", 6) == 0 ||
                strncmp(real, NETNS_DEFAULT_RUN_DIR "/", sizeof(NETNS_DEFAULT_RUN_DIR)) == 0;
    if (proc)
      return berr(err, 0,
                  "linux.namespaces: network path %s joins another process's network namespace "
                  "(docker --network container:...), which a bottle cannot confine; give the "
                  "container its own network",
                  p);
    if (is_host_netns(judged))
      return berr(err, 0,
                  "linux.namespaces: network path %s is the host's network namespace (host "
                  "networking, e.g. docker --network host), which cannot be confined; drop the "
                  "host network or run it plain (bottle.json \"mode\": \"plain\", or a trusted "
                  "bottle.mode=plain)",
                  p);
    *mode = NET_ENGINE_PATH;
    snprintf(path, PATH_MAX, "%s", real);
    return 0;
  }
  *mode = has_network_hook(config) ? NET_ENGINE_HOOK : NET_UPLINK;
  path[0] = '\0';
  return 0;
}

/* Test hook, in test builds only (the Makefile defines BOTTLE_FAULT_INJECTION for SAN=1, never
 * for the release build): BOTTLE_CREATE_CRASH_AT=N SIGKILLs this process at step N of a bottled
 * create, so tests can check that delete --force removes whatever a crash leaves behind. */
#ifdef BOTTLE_FAULT_INJECTION
static void crash_point(int step)
{
  const char *at = getenv("BOTTLE_CREATE_CRASH_AT");
  if (at != NULL && atoi(at) == step)
    kill(getpid(), SIGKILL);
}
#else
static void crash_point(int step)
{
}
#endif

/* The sidecar bundle's rootfs: root.path of its config.json, else "rootfs". */
static char *sidecar_lower(const char *bundle, bottle_error_t *err)
{
  cleanup_free char *cfgpath = xasprintf("%s/config.json", bundle);
  cleanup_free char *text = read_file_at(AT_FDCWD, cfgpath, NULL);
  cleanup_cjson cJSON *j = text ? cJSON_Parse(text) : NULL;
  const char *rp = json_str(json_path(j, "root"), "path", "rootfs");
  char *p = rp[0] == '/' ? xstrdup(rp) : xasprintf("%s/%s", bundle, rp);
  char real[PATH_MAX];
  if (realpath(p, real) == NULL) {
    berr(err, errno,
         "sidecar.bundle: %s has no rootfs at %s; unpack the pipelock image there "
         "(docs/configuration.md)",
         bundle, p);
    free(p);
    return NULL;
  }
  free(p);
  return xstrdup(real);
}

static int write_record(const char *dir, const cJSON *rec, bottle_error_t *err)
{
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *text = cJSON_PrintUnformatted(rec);
  if (dfd < 0 || write_file_atomic_at(dfd, "record.json", text, strlen(text), 0600) < 0)
    return berr(err, errno, "write %s/record.json", dir);
  return 0;
}

/* Creates the sidecar container with its stdio on the log file (create_opts.stdio): it must
 * never hold the caller's pipes (a shim waits for them to close). */
static int create_sidecar(const struct bottle_context *ctx, const char *dir, cJSON *spec,
                          struct container **out, bottle_error_t *err)
{
  cleanup_free char *state_root = xasprintf("%s/state", dir);
  cleanup_free char *log = xasprintf("%s/sidecar.log", dir);
  if (mkdir_p(state_root, 0700) < 0)
    return berr(err, errno, "mkdir %s", state_root);
  cleanup_close int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  cleanup_close int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (logfd < 0 || nullfd < 0)
    return berr(err, errno, "open %s", log);
  int stdio[3] = {nullfd, logfd, logfd};
  struct container_context sc = ctx->base;
  sc.state_root = state_root;
  struct create_opts so = {.id = SIDECAR_ID,
                           .bundle = dir,
                           .config = spec,
                           .egress_hardening = true,
                           .die_with_caller = ctx->overrides != NULL,
                           .stdio = stdio};
  int r = container_create(&sc, &so, out, err);
  return r;
}

static int load_sidecar(const char *dir, struct container **out, bottle_error_t *err)
{
  cleanup_free char *state_root = xasprintf("%s/state", dir);
  return state_load(state_root, SIDECAR_ID, true, out, err);
}

static void print_plan(const struct create_opts *o, const struct bottle_policy *pol,
                       const struct bottle_config *cfg, enum net_mode mode)
{
  cleanup_free char *summary = cfg_summary(pol);
  printf("bottle plan for %s\n", o->id);
  printf("  bundle:   %s\n", o->bundle);
  printf("  profile:  %s\n", pol->profile ? pol->profile : "(none)");
  printf("  egress:   %s\n", summary ? summary : "?");
  for (size_t i = 0; i < pol->n_ssh; i++)
    printf("  ssh:      %s (%s:%u) through the proxy\n", pol->ssh[i].host, pol->ssh[i].hostname,
           pol->ssh[i].port);
  printf("  sidecar:  %s\n", cfg->sidecar_bundle ? cfg->sidecar_bundle : "(not configured)");
  printf("  network:  %s\n", net_mode_name(mode));
  if (cfg->proxyless) {
    printf("  proxyless: on: the agent's DNS answers allowed names only (nothing recurses); TCP "
           "to port");
    for (size_t i = 0; i < cfg->n_proxyless_ports; i++)
      printf("%s %u", i ? "," : "", cfg->proxyless_ports[i]);
    printf(" goes through the proxy by its TLS SNI or HTTP Host\n");
  }
  fflush(stdout);
}

struct build {
  const struct bottle_context *ctx;
  struct create_opts *o;
  cJSON *config;
  const struct bottle_config *cfg;
  const struct bottle_policy *pol;
  enum net_mode mode;
  char engine_path[PATH_MAX]; /* NET_ENGINE_PATH: the path the judged file was opened at */
  struct stat engine_judged;  /* NET_ENGINE_PATH: the namespace decide_net_mode judged */
  char *dir;
  char name[17];
  cJSON *record;
  cJSON *network_hooks; /* NET_ENGINE_HOOK: a copy of config holding its network hooks only */
};

static struct netns_spec topology_spec(const struct build *b)
{
  static const enum netns_mode modes[] = {
      [NET_UPLINK] = NETNS_MODE_UPLINK,
      [NET_ENGINE_PATH] = NETNS_MODE_ENGINE,
      [NET_ENGINE_HOOK] = NETNS_MODE_BARE,
  };
  return (struct netns_spec){
      .name = b->name,
      .mode = modes[b->mode],
      .engine_netns = b->mode == NET_ENGINE_PATH ? b->engine_path : NULL,
      .engine_dev = b->mode == NET_ENGINE_PATH ? (unsigned long long)b->engine_judged.st_dev : 0,
      .engine_ino = b->mode == NET_ENGINE_PATH ? (unsigned long long)b->engine_judged.st_ino : 0,
      .link_pool = b->cfg->link_pool.text,
      .uplink_pool = b->cfg->uplink_pool.text,
      .proxy_port = (uint16_t)b->cfg->sidecar_port,
      .inbound = b->pol->inbound,
      .proxyless = proxyless_netns(b->cfg),
      /* shared: the uplink pool is leased across every bottle of the host */
      .run_dir = NULL,
      .state_dir = NULL,
  };
}

static int build_finish(const void *spec, bottle_error_t *err)
{
  return netns_build_finish(spec, err);
}

static double mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Begins the network and starts its slow part in a child (net): the rest of the build, or,
 * with an engine hook (Docker), the hook configuring the sidecar netns from outside (the
 * build's rest follows it, network_finish). */
static int network_begin(struct build *b, struct netns_spec *ns, struct netns_topology *topo,
                         struct engine_hooks_job *hooks, struct netns_child *net,
                         bottle_error_t *err)
{
  if (netns_build_begin(ns, topo, err) < 0)
    return berr_wrap(err, "network");
  if (b->mode == NET_ENGINE_HOOK) {
    b->network_hooks = take_network_hooks(b->config);
    *hooks =
        (struct engine_hooks_job){b->network_hooks, b->o->id, b->o->bundle, topo->sidecar_netns};
    if (netns_child_start(net, engine_hooks_run, NULL, hooks) < 0 &&
        engine_hooks_run(hooks, err) < 0)
      return berr_wrap(err, "network");
  } else if (netns_child_start(net, build_finish, NULL, ns) < 0 &&
             netns_build_finish(ns, err) < 0) {
    return berr_wrap(err, "network");
  }
  return 0;
}

static int network_finish(struct build *b, const struct netns_spec *ns, struct netns_child *net,
                          struct cgroup_warm *warm, bottle_error_t *err)
{
  if (netns_child_result(net, err) < 0)
    return -1;
  if (b->mode != NET_ENGINE_HOOK)
    return 0;
  /* The engine's hook took long enough for the cgroup lock to go cold again. */
  cgroup_warm_start(warm);
  if (netns_build_finish(ns, err) < 0)
    return berr_wrap(err, "network");
  return 0;
}

/* The sidecar's own view of the bundle's rootfs: an overlay holding the generated pipelock
 * config, resolv.conf and hosts. Returns the merged dir. */
static char *sidecar_rootfs(const struct build *b, const char *lower, const char *listen_ip,
                            bottle_error_t *err)
{
  const struct bottle_config *cfg = b->cfg;
  size_t ylen = 0;
  cleanup_free char *yaml = cfg_pipelock_yaml(b->pol, listen_ip, cfg->sidecar_port, &ylen, err);
  if (yaml == NULL)
    return NULL;
  cleanup_free char *resolv = sidecar_resolv_conf(cfg, b->mode == NET_ENGINE_HOOK, err);
  if (resolv == NULL)
    return NULL;
  /* localhost only: the agent's /etc/hosts is its to write */
  static const char hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost\n";
  struct sidecar_file files[] = {
      {CFG_PIPELOCK_CONFIG_PATH, yaml, ylen, 0600, true},
      {"/etc/resolv.conf", resolv, strlen(resolv), 0644, false},
      {"/etc/hosts", hosts, sizeof(hosts) - 1, 0644, false},
  };
  cleanup_free char *fsdir = xasprintf("%s/fs", b->dir);
  char *merged = NULL;
  if (sidecar_rootfs_prepare(fsdir, lower, files, sizeof(files) / sizeof(*files), &merged, err) < 0)
    return NULL;
  return merged;
}

/* The sidecar's cgroup: a sibling of the agent's, "<agent's cgroupsPath>-bottle-sidecar", so that
 * whatever accounts for and limits the container's parent (Docker's /docker, a Kubernetes pod's
 * cgroup) holds its proxy too. The systemd driver's "slice:prefix:name" names a sibling in the
 * same slice the same way. Without a cgroupsPath, bottle's own place for the container. */
static char *sidecar_cgroups_path(const struct build *b)
{
  const char *agent = json_str(json_path(b->config, "linux"), "cgroupsPath", "");
  size_t n = strlen(agent);
  while (n > 1 && agent[n - 1] == '/')
    n--;
  if (n == 0 || strcmp(agent, "/") == 0)
    return xasprintf("/bottle/%s-sidecar", b->name);
  return xasprintf("%.*s-bottle-sidecar", (int)n, agent);
}

static int make_sidecar(const struct build *b, const char *rootfs,
                        const struct netns_topology *topo, struct container **sidecar,
                        bottle_error_t *err)
{
  const struct bottle_config *cfg = b->cfg;
  __attribute__((cleanup(argv_cleanup))) char **argv =
      cfg_sidecar_argv(cfg, topo->sidecar_ip, cfg->sidecar_port, err);
  if (argv == NULL)
    return -1;
  cleanup_free char *helper = NULL;
  if (cfg->proxyless) {
    if (proxyless_helper(b->dir, &helper, err) < 0)
      return -1;
    char **wrapped = proxyless_argv(argv, topo->sidecar_ip, cfg->sidecar_port);
    cfg_argv_free(argv);
    argv = wrapped;
  }
  cleanup_free char *cgpath = sidecar_cgroups_path(b);
  const struct cfg_sidecar_resources *r = &cfg->sidecar_resources;
  struct sidecar_spec_in in = {
      .rootfs = rootfs,
      .argv = argv,
      .netns = topo->sidecar_netns,
      .cgroups_path = cgpath,
      .cpu_quota_us = (long long)(r->cpus * SIDECAR_CPU_PERIOD_US + 0.5),
      .cpu_period_us = SIDECAR_CPU_PERIOD_US,
      .memory_limit = r->memory_bytes,
      .pids_limit = r->pids,
      .egress_helper = helper,
  };
  if (create_sidecar(b->ctx, b->dir, sidecar_spec(&in), sidecar, err) < 0)
    return berr_wrap(err, "sidecar");
  return 0;
}

/* The agent's config gets the proxy env, loses the network capabilities, sees /proc/sys
 * read-only and joins the agent netns; then it is created (its process runs nothing of the
 * image before `start`). */
static int make_agent(struct build *b, const struct netns_topology *topo, struct container **agent,
                      bottle_error_t *err)
{
  const struct bottle_config *cfg = b->cfg;
  cJSON *penv = agent_proxy_env(topo->sidecar_ip, cfg->sidecar_port);
  if (bottled_ssh_setup(b->dir, b->pol, topo->sidecar_ip, cfg->sidecar_port, b->config, penv, err) <
      0) {
    cJSON_Delete(penv);
    return -1;
  }
  cJSON *process = cJSON_GetObjectItemCaseSensitive(b->config, "process");
  agent_add_env(process, penv);
  agent_drop_caps(process);
  cJSON_AddItemToObject(b->record, "agent_bounding", agent_bounding(process));
  agent_readonly_proc_sys(b->config);
  agent_set_netns(b->config, topo->agent_netns);
  if (cfg->proxyless && proxyless_agent_resolver(b->dir, topo->sidecar_ip, b->config, err) < 0)
    return -1;
  cJSON_AddItemToObject(b->record, "proxy_env", penv);
  cJSON_AddStringToObject(b->record, "sidecar_ip", topo->sidecar_ip);
  cJSON_AddStringToObject(b->record, "agent_netns", topo->agent_netns);
  cJSON_AddNumberToObject(b->record, "proxy_port", cfg->sidecar_port); /* the start gate's */
  cJSON_AddStringToObject(b->record, "readiness", cfg->sidecar_readiness_path); /* "": TCP */
  if (write_record(b->dir, b->record, err) < 0)
    return -1;
  /* Hooks that run during create do so with root on the host; whatever they do, the agent's
   * netns must still hold bottle's link only. */
  bool hooked = cJSON_GetArraySize(json_path(b->config, "hooks.createRuntime")) > 0 ||
                cJSON_GetArraySize(json_path(b->config, "hooks.prestart")) > 0 ||
                cJSON_GetArraySize(json_path(b->config, "hooks.createContainer")) > 0;
  int eth = 0;
  if (hooked && netns_check_agent(topo, &eth, err) < 0)
    return berr_wrap(err, "network");
  b->o->config = take_ptr(b->config);
  b->o->egress_hardening = true;
  if (container_create(&b->ctx->base, b->o, agent, err) < 0)
    return -1;
  if (hooked && netns_check_agent(topo, &eth, err) < 0)
    return berr_wrap(err, "network");
  return 0;
}

static int wait_for_proxy(const struct build *b, const struct netns_topology *topo,
                          const struct container *sidecar, bottle_error_t *err)
{
  const struct bottle_config *cfg = b->cfg;
  if (sidecar_wait_ready(topo->agent_netns, topo->sidecar_ip, cfg->sidecar_port,
                         cfg->sidecar_readiness_path, cfg->sidecar_ready_timeout_ms, sidecar->pid,
                         err) == 0)
    return 0;
  cleanup_free char *logpath = xasprintf("%s/sidecar.log", b->dir);
  cleanup_free char *tail = sidecar_log_tail(logpath, 600);
  cleanup_free char *why = xstrdup(err->msg);
  berr_clear(err);
  return berr(err, 0, "%s; the sidecar's last log lines: %s", why, tail);
}

/* What create_bottled's steps share: each step reads what the ones before it made. */
struct build_run {
  struct cgroup_warm warm;
  char *lower;  /* the sidecar bundle's rootfs */
  char *rootfs; /* the sidecar's overlay */
  struct netns_topology topo;
  struct netns_spec ns;
  struct engine_hooks_job hooks;
  struct netns_child net;
  struct container *sidecar, *agent;
  double t_begin, t_sidecar_start, t_wait, t_ready; /* --debug timings */
};

static int step_record(struct build *b, struct build_run *r, bottle_error_t *err)
{
  r->lower = sidecar_lower(b->cfg->sidecar_bundle, err);
  if (r->lower == NULL)
    return -1;
  if (mkdir_p(b->dir, 0700) < 0)
    return berr(err, errno, "mkdir %s", b->dir);
  b->record = cJSON_CreateObject();
  cJSON_AddStringToObject(b->record, "netns", b->name);
  cJSON_AddStringToObject(b->record, "network", net_mode_name(b->mode));
  /* what a container joining the bottle must not ask to change (pod.c) */
  cleanup_free char *policy = pod_policy_fingerprint(b->pol, b->cfg->sidecar_port);
  cJSON_AddStringToObject(b->record, "policy", policy);
  /* what `bottle policy` shows and changes (live_policy.c) */
  cJSON_AddItemToObject(b->record, "egress_policy", cfg_policy_to_json(b->pol));
  return write_record(b->dir, b->record, err);
}

/* Everything the later steps make is recorded under b->dir (or named by b->name): the
 * bottle's own teardown removes it from any partial state, as delete --force does. */
static void undo_record(struct build *b, struct build_run *r)
{
  (void)r;
  bottle_error_t e = {0};
  if (bottled_destroy(b->ctx, b->o->id, &e) < 0) {
    log_msg(LOG_WARNING, "cleanup after failed create: %s", e.msg);
  }
}

static int step_network_begin(struct build *b, struct build_run *r, bottle_error_t *err)
{
  r->ns = topology_spec(b);
  return network_begin(b, &r->ns, &r->topo, &r->hooks, &r->net, err);
}

static int step_sidecar_rootfs(struct build *b, struct build_run *r, bottle_error_t *err)
{
  r->rootfs = sidecar_rootfs(b, r->lower, r->topo.sidecar_ip, err);
  return r->rootfs == NULL ? -1 : 0;
}

static int step_sidecar(struct build *b, struct build_run *r, bottle_error_t *err)
{
  cgroup_warm_finish(&r->warm);
  return make_sidecar(b, r->rootfs, &r->topo, &r->sidecar, err);
}

/* The sidecar's handle holds the lock of its state dir, which the bottle's teardown
 * (undo_record) takes. */
static void undo_sidecar(struct build *b, struct build_run *r)
{
  (void)b;
  container_free(take_ptr(r->sidecar));
}

static int step_network_finish(struct build *b, struct build_run *r, bottle_error_t *err)
{
  return network_finish(b, &r->ns, &r->net, &r->warm, err);
}

/* No gate: the sidecar has no bottle record (the agent gets it below), so the start gate
 * passed it as plain before it was a parameter; the gate reads the boundary before the agent
 * starts. */
static int step_sidecar_start(struct build *b, struct build_run *r, bottle_error_t *err)
{
  (void)b;
  r->t_sidecar_start = mono_ms();
  return container_start(r->sidecar, NULL, err);
}

static int step_agent(struct build *b, struct build_run *r, bottle_error_t *err)
{
  cgroup_warm_finish(&r->warm);
  return make_agent(b, &r->topo, &r->agent, err);
}

static void undo_agent(struct build *b, struct build_run *r)
{
  (void)b;
  if (r->agent != NULL)
    container_destroy(r->agent, NULL);
  container_free(take_ptr(r->agent));
}

static int step_wait_for_proxy(struct build *b, struct build_run *r, bottle_error_t *err)
{
  r->t_wait = mono_ms();
  if (wait_for_proxy(b, &r->topo, r->sidecar, err) < 0)
    return -1;
  r->t_ready = mono_ms();
  return 0;
}

static int step_save(struct build *b, struct build_run *r, bottle_error_t *err)
{
  r->agent->bottle = cJSON_Duplicate(b->record, 1);
  return state_save(r->agent, err);
}

/* The bottled create in the order docs/design.md gives. The network's slow part runs in a
 * child while the sidecar is made, and the agent is created while pipelock starts; create
 * returns only once the proxy answers. crash_at: BOTTLE_CREATE_CRASH_AT's step numbers
 * (integration/bottled_crash.sh), after the step. A failed step is undone with the steps before
 * it, last first (an undo takes what its step made, if anything); a step without an undo is
 * covered by an earlier one's. */
static const struct build_step {
  const char *name;
  int (*run)(struct build *b, struct build_run *r, bottle_error_t *err);
  void (*undo)(struct build *b, struct build_run *r);
  int crash_at;
} build_steps[] = {
    {"record", step_record, undo_record, 1},
    {"network", step_network_begin, NULL, 0},
    {"sidecar rootfs", step_sidecar_rootfs, NULL, 2},
    {"sidecar", step_sidecar, undo_sidecar, 3},
    {"network finish", step_network_finish, NULL, 4},
    {"sidecar start", step_sidecar_start, NULL, 5},
    {"agent", step_agent, undo_agent, 6},
    {"proxy ready", step_wait_for_proxy, NULL, 7},
    {"agent state", step_save, NULL, 0},
};

static int create_bottled(struct build *b, struct container **out, bottle_error_t *err)
{
  struct build_run r = {.net = NETNS_CHILD_NONE, .t_begin = mono_ms()};
  /* The sidecar's init is the first to be placed in a cgroup: its wait for the cgroup lock
   * runs alongside the network's build (the agent's init follows soon enough not to wait).
   * The thread makes no libc call that locks, so the network's child may be forked while
   * it runs (runtime/cgroup/cgroup_warm.c). */
  cgroup_warm_start(&r.warm);
  size_t n = sizeof(build_steps) / sizeof(*build_steps), done = 0;
  while (done < n && build_steps[done].run(b, &r, err) == 0) {
    if (build_steps[done].crash_at > 0)
      crash_point(build_steps[done].crash_at);
    done++;
  }
  /* no child works on the network once a teardown may start */
  netns_child_settle(&r.net);
  cgroup_warm_finish(&r.warm);
  if (done < n) {
    log_msg(LOG_DEBUG, "bottled create %s: step %s failed", b->o->id, build_steps[done].name);
    for (size_t i = done + 1; i-- > 0;)
      if (build_steps[i].undo != NULL)
        build_steps[i].undo(b, &r);
  } else {
    /* The sidecar's start costs create only the time spent waiting for its proxy; the rest of
     * it passed while the agent was created. */
    log_msg(LOG_DEBUG,
            "bottled create %s: %.2f ms in all, %.2f ms of it waiting for the sidecar's proxy to "
            "answer (%.2f ms after the sidecar's start)",
            b->o->id, mono_ms() - r.t_begin, r.t_ready - r.t_wait, r.t_ready - r.t_sidecar_start);
    *out = take_ptr(r.agent);
  }
  container_free(r.agent);
  container_free(r.sidecar);
  free(r.rootfs);
  free(r.lower);
  return done < n ? -1 : 0;
}

/* A container that joins an existing bottle (a pod's app container, docker --network
 * container:X): the agent's refusals and hardening with the bottle's proxy env, in the bottle's
 * own bind mount of its agent netns; no sidecar, no link. Its record names the bottle ("pod"), so
 * the start gate, exec, state and logs find the bottle, and its delete leaves the bottle alone. */
int bottled_join(const struct bottle_context *ctx, struct create_opts *o, cJSON *config,
                 const struct bottle_config *cfg, const struct pod_join *j, struct container **out,
                 bottle_error_t *err)
{
  cleanup_cjson cJSON *config_owner = config;
  const cJSON *rec = j->record;
  const char *agent_netns = json_str(rec, "agent_netns", NULL);
  const char *name = json_str(rec, "netns", NULL);
  const cJSON *penv = cJSON_GetObjectItemCaseSensitive(rec, "proxy_env");
  if (agent_netns == NULL || name == NULL || penv == NULL)
    return berr(err, 0, "bottle %s: its record names no agent netns or proxy env", j->bottle);
  __attribute__((cleanup(agent_grants_free))) struct agent_grants granted = {0};
  cleanup_free char *pod_ns_dir = pod_creator_ns_dir(ctx, j->bottle);
  if (agent_check_sysctls(config, err) < 0 ||
      agent_check_privileges(config, cfg, &granted, err) < 0 ||
      agent_check_mounts(config, cfg, &granted, err) < 0 ||
      bottled_check_namespaces(config, pod_ns_dir, err) < 0 ||
      process_check_inherited_sockets(o->preserve_fds, agent_netns, err) < 0)
    return berr_wrap(err, "joining bottle %s", j->bottle);
  if (granted.list != NULL)
    log_msg(LOG_WARNING, "bottled agent %s: %s grants it %s", o->id, cfg->source, granted.list);
  cJSON *process = cJSON_GetObjectItemCaseSensitive(config, "process");
  agent_add_env(process, penv);
  agent_drop_caps(process);
  agent_readonly_proc_sys(config);
  agent_set_netns(config, agent_netns);
  cJSON *member = cJSON_CreateObject();
  cJSON_AddStringToObject(member, "pod", j->bottle);
  static const char *const shared[] = {"netns",       "network",    "proxy_env", "sidecar_ip",
                                       "agent_netns", "proxy_port", "readiness", "policy"};
  for (size_t i = 0; i < sizeof(shared) / sizeof(*shared); i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, shared[i]);
    if (v != NULL)
      cJSON_AddItemToObject(member, shared[i], cJSON_Duplicate(v, true));
  }
  cJSON_AddItemToObject(member, "agent_bounding", agent_bounding(process));
  cleanup_cjson cJSON *member_owner = member;
  /* as make_agent: hooks run as root during create, the netns must still hold the link only */
  bool hooked = cJSON_GetArraySize(json_path(config, "hooks.createRuntime")) > 0 ||
                cJSON_GetArraySize(json_path(config, "hooks.prestart")) > 0 ||
                cJSON_GetArraySize(json_path(config, "hooks.createContainer")) > 0;
  struct netns_topology topo;
  int eth = 0;
  if (hooked && (netns_load(NULL, name, &topo, err) < 0 || netns_check_agent(&topo, &eth, err) < 0))
    return berr_wrap(err, "network");
  o->config = take_ptr(config_owner);
  o->egress_hardening = true;
  struct container *c = NULL;
  if (container_create(&ctx->base, o, &c, err) < 0)
    return -1;
  c->bottle = take_ptr(member_owner);
  if ((hooked && netns_check_agent(&topo, &eth, err) < 0 && berr_wrap(err, "network") < 0) ||
      state_save(c, err) < 0) {
    container_destroy(c, NULL);
    container_free(c);
    return -1;
  }
  *out = c;
  return 0;
}

int bottled_create_new(const struct bottle_context *ctx, struct create_opts *o, cJSON *config,
                       const struct bottle_config *cfg, const struct bottle_policy *pol,
                       struct container **out, bottle_error_t *err)
{
  cleanup_cjson cJSON *config_owner = config;
  const struct bottled_overrides *ov = ctx->overrides;
  struct build b = {.ctx = ctx, .o = o, .config = config, .cfg = cfg, .pol = pol};
  __attribute__((cleanup(agent_grants_free))) struct agent_grants granted = {0};
  if (decide_net_mode(config, &b.mode, b.engine_path, &b.engine_judged, err) < 0 ||
      agent_check_sysctls(config, err) < 0 ||
      agent_check_privileges(config, cfg, &granted, err) < 0 ||
      agent_check_mounts(config, cfg, &granted, err) < 0)
    return -1;
  if (granted.list != NULL)
    log_msg(LOG_WARNING, "bottled agent %s: %s grants it %s", o->id, cfg->source, granted.list);
  /* Refused before anything is made: a shared pid namespace or another joined one, an
   * inherited socket (none can be in the agent's netns, which does not exist yet). */
  if (bottled_check_namespaces(config, NULL, err) < 0 ||
      process_check_inherited_sockets(o->preserve_fds, NULL, err) < 0)
    return -1;
  if (ov && ov->print_plan)
    print_plan(o, pol, cfg, b.mode);
  if (ov && ov->print_plan && granted.list != NULL)
    printf("  granted:  %s\n", granted.list);
  if (ov && ov->dry_run)
    return 0;
  if (ov && ov->confirm && !ov->confirm())
    return berr(err, 0, "not confirmed: nothing was created");
  if (cfg->sidecar_bundle == NULL)
    return berr(err, 0,
                "%s: sidecar.bundle is not set, so a bottled container cannot get its pipelock "
                "proxy; set sidecar.bundle to an unpacked pipelock bundle (docs/configuration.md) "
                "or set \"mode\": \"plain\"",
                cfg->source);

  b.dir = side_dir(ctx, o->id);
  netns_name(ctx, o->id, b.name);
  struct stat st;
  if (stat(b.dir, &st) == 0) {
    int r = berr(err, 0, "container with given ID already exists (leftover %s: run delete --force)",
                 b.dir);
    free(b.dir);
    return r;
  }
  config_owner = NULL; /* b.config now, handed to the agent on success */
  int r = create_bottled(&b, out, err);
  cJSON_Delete(b.config);
  cJSON_Delete(b.record);
  cJSON_Delete(b.network_hooks);
  free(b.dir);
  return r;
}

struct teardown_job {
  const char *name;
  struct netns_leftover *left;
};

static int teardown_begin(const void *arg, bottle_error_t *err)
{
  const struct teardown_job *job = arg;
  return netns_teardown_begin(NULL, job->name, job->left, err);
}

/* After the report: deleting a link that outlives its netns waits out an RCU barrier. */
static void teardown_finish(const void *arg)
{
  const struct teardown_job *job = arg;
  netns_teardown_finish(job->left);
}

int bottled_destroy(const struct bottle_context *ctx, const char *id, bottle_error_t *err)
{
  cleanup_free char *dir = side_dir(ctx, id);
  struct stat st;
  if (stat(dir, &st) < 0)
    return 0;
  int rc = 0;
  char name[17];
  netns_name(ctx, id, name);
  /* The network goes in a child alongside the sidecar's stop (every sidecar netns is reached
   * through a path that outlives the sidecar: our bind mount or the engine's). */
  struct netns_child net = NETNS_CHILD_NONE;
  struct netns_leftover left = {0};
  struct teardown_job job = {.name = name, .left = &left};
  if (netns_child_start(&net, teardown_begin, teardown_finish, &job) < 0) {
    bottle_error_t ne = {0};
    if (netns_teardown(NULL, name, &ne) < 0) {
      berr_wrap(&ne, "network");
      rc = berr_pass(err, &ne);
    }
  }
  struct container *sidecar = NULL;
  bottle_error_t ignored = {0};
  if (load_sidecar(dir, &sidecar, &ignored) == 0) {
    if (container_destroy(sidecar, rc == 0 ? err : NULL) < 0 && rc == 0)
      rc = berr_wrap(err, "sidecar");
    container_free(sidecar);
  }
  cleanup_free char *fsdir = xasprintf("%s/fs", dir);
  if (sidecar_rootfs_release(fsdir, rc == 0 ? err : NULL) < 0)
    rc = -1;
  if (netns_child_result(&net, rc == 0 ? err : NULL) < 0)
    rc = -1;
  if (rc == 0 && rm_rf(dir) < 0 && errno != ENOENT)
    rc = berr(err, errno, "remove %s", dir);
  /* the parent .bottle dir goes when it is empty */
  cleanup_free char *parent = xasprintf("%s/" BOTTLED_DIR, ctx->base.state_root);
  rmdir(parent);
  return rc;
}

void bottled_adjust_exec_process(const struct container *c, cJSON *process)
{
  const cJSON *penv = c->bottle ? cJSON_GetObjectItemCaseSensitive(c->bottle, "proxy_env") : NULL;
  if (penv == NULL)
    return;
  agent_add_env(process, penv);
  agent_drop_caps(process);
  const cJSON *bounding = cJSON_GetObjectItemCaseSensitive(c->bottle, "agent_bounding");
  if (bounding != NULL)
    agent_limit_exec_caps(process, bounding);
}

/* The bottle that id is part of: its own, or, for a container that joined one (pod.h), that
 * one's (its creator's id). malloc'd. */
static char *bottle_of(const struct bottle_context *ctx, const char *id)
{
  struct container *c = NULL;
  bottle_error_t e = {0};
  if (state_load(ctx->base.state_root, id, false, &c, &e) < 0) {
    berr_clear(&e);
    return xstrdup(id);
  }
  char *owner = xstrdup(json_str(c->bottle, "pod", id));
  container_free(c);
  return owner;
}

const char *bottled_sidecar_status(const struct bottle_context *ctx, const char *id)
{
  cleanup_free char *owner = bottle_of(ctx, id);
  cleanup_free char *dir = side_dir(ctx, owner);
  struct container *sidecar = NULL;
  bottle_error_t e = {0};
  if (load_sidecar(dir, &sidecar, &e) < 0) {
    berr_clear(&e);
    return NULL;
  }
  bool alive = container_init_alive(sidecar);
  container_free(sidecar);
  return alive ? "running" : "stopped";
}

char *bottled_log_path(const struct bottle_context *ctx, const char *id)
{
  cleanup_free char *owner = bottle_of(ctx, id);
  return xasprintf("%s/" BOTTLED_DIR "/%s/sidecar.log", ctx->base.state_root, owner);
}

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/container/state.h"
#include "runtime/bottle/bottled.h"
#include "runtime/lib/cleanup.h"
#include "runtime/container/exec.h"
#include "runtime/container/process.h"
#include "runtime/container/spec.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

enum {
  OPT_CONSOLE = 1000,
  OPT_CWD,
  OPT_PIDFILE,
  OPT_NNP,
  OPT_APPARMOR,
  OPT_LABEL,
  OPT_PRESERVE_FDS,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
  OPT_PIDFD
};

static const struct option exec_opts[] = {
    {"console-socket", required_argument, NULL, OPT_CONSOLE},
    {"cwd", required_argument, NULL, OPT_CWD},
    {"env", required_argument, NULL, 'e'},
    {"tty", optional_argument, NULL, 't'},
    {"user", required_argument, NULL, 'u'},
    {"additional-gids", required_argument, NULL, 'g'},
    {"process", required_argument, NULL, 'p'},
    {"detach", optional_argument, NULL, 'd'},
    {"pid-file", required_argument, NULL, OPT_PIDFILE},
    {"process-label", required_argument, NULL, OPT_LABEL},
    {"apparmor", required_argument, NULL, OPT_APPARMOR},
    {"no-new-privs", optional_argument, NULL, OPT_NNP},
    {"cap", required_argument, NULL, 'c'},
    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
    {"cgroup", required_argument, NULL, OPT_CGROUP},
    {"ignore-paused", optional_argument, NULL, OPT_IGNORE_PAUSED},
    {"pidfd-socket", required_argument, NULL, OPT_PIDFD},
    {NULL, 0, NULL, 0},
};

static void add_cap(cJSON *process, const char *cap)
{
  cJSON *caps = cJSON_GetObjectItemCaseSensitive(process, "capabilities");
  if (!cJSON_IsObject(caps)) {
    cJSON_DeleteItemFromObjectCaseSensitive(process, "capabilities");
    caps = cJSON_AddObjectToObject(process, "capabilities");
  }
  static const char *sets[] = {"bounding", "effective", "permitted", "ambient", "inheritable"};
  for (size_t i = 0; i < 5; i++) {
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(caps, sets[i]);
    if (!cJSON_IsArray(arr))
      arr = cJSON_AddArrayToObject(caps, sets[i]);
    cJSON_AddItemToArray(arr, cJSON_CreateString(cap));
  }
}

static void set_item(cJSON *o, const char *k, cJSON *v)
{
  cJSON_DeleteItemFromObjectCaseSensitive(o, k);
  cJSON_AddItemToObject(o, k, v);
}

int verb_exec(struct globals *g, int argc, char **argv)
{
  struct exec_opts o = {0};
  const char *process_file = NULL, *cwd = NULL, *user = NULL, *apparmor = NULL, *label = NULL;
  int tty = -1, nnp = -1;
  const char *cgroup_subs[16];
  size_t n_cgroup_subs = 0;
  cleanup_cjson cJSON *envs = cJSON_CreateArray();
  cleanup_cjson cJSON *caps = cJSON_CreateArray();
  cleanup_cjson cJSON *gids = cJSON_CreateArray();
  bottle_error_t err = {0};
  cli_normalize(argc, argv, exec_opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+e:tu:g:p:dc:", exec_opts, NULL)) != -1) {
    switch (ch) {
    case OPT_CONSOLE:
      o.console_socket = optarg;
      break;
    case OPT_CWD:
      cwd = optarg;
      break;
    case 'e':
      cJSON_AddItemToArray(envs, cJSON_CreateString(optarg));
      break;
    case 't':
      tty = cli_bool(optarg);
      break;
    case 'u':
      user = optarg;
      break;
    case 'g':
      cJSON_AddItemToArray(gids, cJSON_CreateNumber(atoi(optarg)));
      break;
    case 'p':
      process_file = optarg;
      break;
    case 'd':
      o.detach = cli_bool(optarg);
      break;
    case OPT_PIDFILE:
      o.pid_file = optarg;
      break;
    case OPT_LABEL:
      label = optarg;
      break;
    case OPT_APPARMOR:
      apparmor = optarg;
      break;
    case OPT_NNP:
      nnp = cli_bool(optarg);
      break;
    case 'c':
      cJSON_AddItemToArray(caps, cJSON_CreateString(optarg));
      break;
    case OPT_PRESERVE_FDS:
      o.preserve_fds = atoi(optarg);
      break;
    case OPT_IGNORE_PAUSED:
      o.ignore_paused = cli_bool(optarg);
      break;
    case OPT_PIDFD:
      o.pidfd_socket = optarg;
      break;
    case OPT_CGROUP:
      if (n_cgroup_subs == sizeof(cgroup_subs) / sizeof(*cgroup_subs))
        return cli_usage_error("exec", "too many --cgroup flags");
      cgroup_subs[n_cgroup_subs++] = optarg;
      break;
    default:
      return cli_usage_error("exec", "flag provided but not defined");
    }
  }
  if (argc - optind < 1)
    return cli_usage_error("exec", "requires a minimum of 1 argument(s)");
  const char *id = argv[optind];
  if (process_file == NULL && argc - optind < 2)
    return cli_usage_error("exec", "requires a minimum of 2 argument(s)");
  /* before this process opens anything of its own on a low fd */
  if (process_check_preserved_fds(o.preserve_fds, &err) < 0)
    return verb_fail(&err, "exec failed: ", 255);

  /* Read the process file completely first: go-runc deletes it when we return. */
  cleanup_cjson cJSON *process = NULL;
  if (process_file != NULL) {
    cleanup_free char *text = read_file_at(AT_FDCWD, process_file, NULL);
    if (text == NULL) {
      berr(&err, errno, "open %s", process_file);
      return verb_fail(&err, "exec failed: ", 255);
    }
    process = cJSON_Parse(text);
    if (!cJSON_IsObject(process)) {
      berr(&err, 0, "%s: not a JSON process object", process_file);
      return verb_fail(&err, "exec failed: ", 255);
    }
  }
  char *pid_file = o.pid_file ? abs_path(o.pid_file) : NULL;
  char *console = o.console_socket ? abs_path(o.console_socket) : NULL;
  char *pidfd_socket = o.pidfd_socket ? abs_path(o.pidfd_socket) : NULL;
  o.pid_file = pid_file;
  o.console_socket = console;
  o.pidfd_socket = pidfd_socket;
  o.cgroup_subs = cgroup_subs;
  o.n_cgroup_subs = n_cgroup_subs;

  struct container *c = NULL;
  int rc = 255;
  int tty_pair[2] = {-1, -1}; /* before the first goto done, which closes it */
  if (container_load(&g->ctx.base, id, false, &c, &err) < 0) {
    rc = verb_fail(&err, "exec failed: ", 255);
    goto done;
  }
  const char *agent_netns = c->bottle ? json_str(c->bottle, "agent_netns", NULL) : NULL;
  if (agent_netns != NULL &&
      process_check_inherited_sockets(o.preserve_fds, agent_netns, &err) < 0) {
    rc = verb_fail(&err, "exec failed: ", 255);
    goto done;
  }
  if (process == NULL) {
    process = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c->config, "process"), 1);
    if (process == NULL)
      process = cJSON_CreateObject();
    cJSON *args = cJSON_CreateArray();
    for (int i = optind + 1; i < argc; i++)
      cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));
    set_item(process, "args", args);
    set_item(process, "terminal", cJSON_CreateBool(tty == 1));
    cJSON_DeleteItemFromObjectCaseSensitive(process, "consoleSize");
  }
  if (cwd)
    set_item(process, "cwd", cJSON_CreateString(cwd));
  if (cJSON_GetArraySize(envs) > 0) {
    cJSON *env = cJSON_GetObjectItemCaseSensitive(process, "env");
    if (!cJSON_IsArray(env))
      env = cJSON_AddArrayToObject(process, "env");
    const cJSON *e;
    cJSON_ArrayForEach(e, envs) cJSON_AddItemToArray(env, cJSON_CreateString(e->valuestring));
  }
  if (user) {
    cJSON *u = cJSON_CreateObject();
    char *colon = strchr(user, ':');
    cJSON_AddNumberToObject(u, "uid", atoi(user));
    cJSON_AddNumberToObject(u, "gid", colon ? atoi(colon + 1) : 0);
    set_item(process, "user", u);
  }
  if (cJSON_GetArraySize(gids) > 0) {
    cJSON *u = cJSON_GetObjectItemCaseSensitive(process, "user");
    if (!cJSON_IsObject(u))
      u = cJSON_AddObjectToObject(process, "user");
    set_item(u, "additionalGids", cJSON_Duplicate(gids, 1));
  }
  const cJSON *cp;
  cJSON_ArrayForEach(cp, caps) add_cap(process, cp->valuestring);
  if (nnp == 1)
    set_item(process, "noNewPrivileges", cJSON_CreateTrue());
  if (apparmor)
    set_item(process, "apparmorProfile", cJSON_CreateString(apparmor));
  if (label)
    set_item(process, "selinuxLabel", cJSON_CreateString(label));
  bottled_adjust_exec_process(c, process);
  if (spec_validate_process(process, &err) < 0) {
    rc = verb_fail(&err, "exec failed: invalid process: ", 255);
    goto done;
  }
  o.process = process;
  if (!o.detach && o.console_socket == NULL && cJSON_IsTrue(json_path(process, "terminal")) &&
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty_pair) == 0) {
    o.has_console_peer = true;
    o.console_peer = tty_pair[1];
    o.console_ours = tty_pair[0];
  }
  int exit_code = 0;
  if (container_exec(c, &o, &exit_code, &err) < 0) {
    bool setup = err.set && strncmp(err.msg, "cannot exec", 11) != 0;
    rc = verb_fail(
        &err, setup ? "exec failed: unable to start container process: " : "exec failed: ", 255);
    goto done;
  }
  rc = o.detach ? 0 : exit_code;
done:
  for (int i = 0; i < 2; i++)
    if (tty_pair[i] >= 0)
      close(tty_pair[i]);
  container_free(c);
  free(pid_file);
  free(console);
  free(pidfd_socket);
  return rc;
}

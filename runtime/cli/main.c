/* bottle: a runc-compatible OCI runtime. Dispatches on argv[0] (bottle-run)
 * and on the subcommand; global flags follow runc (§3). */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli/bottle_run.h"
#include "runtime/cli/cli.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/security/selfexe.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"
#include "runtime/cli/verb_logs.h"
#include "runtime/cli/verb_policy.h"

#define CREATE_HELP                                                                                \
  "  --bundle, -b DIR       the bundle (default .)\n"                                              \
  "  --console-socket SOCK  receives the pty master when process.terminal is true\n"               \
  "  --pid-file FILE        writes the init pid\n"                                                 \
  "  --no-pivot             MS_MOVE instead of pivot_root\n"                                       \
  "  --no-new-keyring       keep the session keyring\n"                                            \
  "  --preserve-fds N       pass N more fds from 3\n"                                              \
  "  --pidfd-socket SOCK    receives a pidfd of the init\n"

#ifndef BOTTLE_VERSION
#define BOTTLE_VERSION "0.0.0"
#endif
#ifndef BOTTLE_COMMIT
#define BOTTLE_COMMIT "unknown"
#endif

enum {
  ENTERS_CONTAINER = 1, /* runs code inside container namespaces */
  SEARCHES_ROOTS =
      2, /* without --root, g->ctx.base.state_root is NULL: the verb looks in every engine's */
};

/* One row per verb: its dispatch and its --help. */
static const struct verb {
  const char *name;
  int (*fn)(struct globals *, int, char **);
  unsigned flags;
  const char *args;
  const char *summary;
  const char *options; /* one "  --flag  what" line each, or NULL */
} verbs[] = {
    {"create", verb_create, ENTERS_CONTAINER, "[options] ID",
     "creates the container of a bundle (stopped before its process runs)", CREATE_HELP},
    {"start", verb_start, 0, "ID", "runs the user process of a created container", NULL},
    {"run", verb_run, ENTERS_CONTAINER, "[options] ID",
     "creates and starts a container, waiting for it unless --detach",
     CREATE_HELP
     "  --detach, -d           return once started\n"
     "  --keep                 do not delete the container when it exits\n"
     "  --no-subreaper         do not become the subreaper of the container's processes\n"},
    {"state", verb_state, 0, "ID", "prints the container's state as JSON", NULL},
    {"kill", verb_kill, 0, "[options] ID [SIGNAL]",
     "sends SIGNAL (default SIGTERM) to the container's init",
     "  --all, -a              to every process of the container\n"},
    {"delete", verb_delete, 0, "[options] ID", "deletes a stopped container (and its bottle)",
     "  --force, -f            kill a running container first\n"},
    {"list", verb_list, 0, "[options]", "lists the containers under the root",
     "  --format, -f table|json\n"
     "  --quiet, -q            ids only\n"},
    {"ps", verb_ps, 0, "[options] ID [ps options]", "lists the container's processes",
     "  --format, -f table|json\n"},
    {"exec", verb_exec, ENTERS_CONTAINER, "[options] ID COMMAND [args...]",
     "runs a new process in a running container",
     "  --process, -p FILE     the process as OCI JSON\n"
     "  --cwd DIR, --env, -e K=V, --tty, -t, --user, -u UID[:GID], --additional-gids, -g GID\n"
     "  --cap, -c CAP, --no-new-privs, --process-label L, --apparmor P, --cgroup PATH\n"
     "  --detach, -d, --pid-file FILE, --console-socket SOCK, --pidfd-socket SOCK\n"
     "  --preserve-fds N, --ignore-paused\n"},
    {"features", verb_features, 0, "", "prints what this runtime supports as JSON", NULL},
    {"spec", verb_spec, 0, "[options]", "writes a default config.json into the bundle",
     "  --bundle, -b DIR       the bundle (default .)\n"
     "  --rootless             a spec for a rootless container\n"},
    {"events", verb_events, 0, "[options] ID", "streams stats and OOM events as JSON lines",
     "  --interval DURATION    stats period (default 5s)\n"
     "  --stats                one stats object, then exit\n"},
    {"pause", verb_pause, 0, "ID", "freezes every process of the container", NULL},
    {"resume", verb_resume, 0, "ID", "thaws a paused container", NULL},
    {"update", verb_update, 0, "[options] ID", "changes the container's resource limits",
     "  --resources, -r FILE   linux.resources as JSON (- for stdin)\n"
     "  --memory, --memory-swap, --memory-reservation, --kernel-memory, --kernel-memory-tcp\n"
     "  --cpu-period, --cpu-quota, --cpu-share, --cpu-rt-period, --cpu-rt-runtime\n"
     "  --cpuset-cpus, --cpuset-mems, --blkio-weight, --pids-limit\n"
     "  --l3-cache-schema, --mem-bw-schema\n"},
    {"checkpoint", verb_checkpoint, 0, "ID", "not supported (no CRIU)", NULL},
    {"restore", verb_checkpoint, 0, "ID", "not supported (no CRIU)", NULL},
    {"logs", verb_logs, SEARCHES_ROOTS, "[options] ID|PREFIX|NAME",
     "prints a bottled container's egress log (its sidecar's audit lines)\n"
     "The container is found by id, unique id prefix or Docker name in every state root the\n"
     "engines use (Docker, containerd, podman, bottle's own), or in --root alone.",
     "  --follow, -f           keep printing new lines\n"
     "  --blocked              denials only\n"
     "  --json                 the raw audit lines\n"},
    {"policy", verb_policy, SEARCHES_ROOTS, "ID [--allow HOST]... [--deny HOST]...",
     "shows a bottled container's egress allowlist, or changes it while the agent runs\n"
     "Without flags, each allowed host with where it came from (default, profile NAME,\n"
     "annotation, container env, command line --allow, ssh ALIAS, bottle policy --allow).\n"
     "With flags, pipelock reloads the changed list; the agent keeps running. All or none:\n"
     "a bad host changes nothing. A pod member's id changes its pod's bottle. The container\n"
     "is found as bottle logs finds it: id, unique id prefix or Docker name, in every engine's\n"
     "state root, or in --root alone.",
     "  --allow, -a HOST       add HOST (a name, *.domain or IPv4), as in the allowlists\n"
     "  --deny, -d HOST        remove the entry HOST, whatever its origin\n"},
    {"gc", bottle_gc_main, 0, "[--stopped]",
     "removes the sidecar, network and overlay of bottles whose agent state is gone",
     "  --stopped              also bottles whose agent has exited, with the agent's state\n"},
};

static void usage(FILE *f)
{
  fputs("usage: bottle [global options] command [command options] [arguments...]\n\ncommands:\n",
        f);
  for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
    fprintf(f, "  %-11s %.*s\n", verbs[i].name, (int)strcspn(verbs[i].summary, "\n"),
            verbs[i].summary);
  fputs("\nglobal options:\n"
        "  --root DIR             state directory (default /run/bottle)\n"
        "  --log FILE             log file (default stderr)\n"
        "  --log-format text|json log format (default text)\n"
        "  --debug                debug logging\n"
        "  --systemd-cgroup       cgroupsPath is slice:prefix:name\n"
        "  --config FILE          bottle's runtime config (egress policy)\n"
        "  --version, -v          print the version\n"
        "  --help, -h             this text; bottle COMMAND --help for a command's\n"
        "accepted and ignored: --criu, --rootless, --cgroup-manager\n"
        "bottle-run BUNDLE runs a bottled agent in the foreground (bottle-run --help).\n",
        f);
}

static void verb_usage(const struct verb *v)
{
  printf("usage: bottle [global options] %s %s\n\n%s\n", v->name, v->args, v->summary);
  if (v->options != NULL)
    printf("\noptions:\n%s", v->options);
}

static void version(void)
{
  printf("bottle version %s\ncommit: %s\nspec: 1.0.2-dev\n", BOTTLE_VERSION, BOTTLE_COMMIT);
}

enum {
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD,
  OPT_CRIU,
  OPT_ROOTLESS,
  OPT_CGMGR,
  OPT_CONFIG
};

int main(int argc, char **argv)
{
  const char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  /* podman closes our stderr early; a write must not kill us (§6.8). */
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(base, "bottle-run") == 0)
    return bottle_run_main(argc, argv);

  static const struct option opts[] = {
      {"root", required_argument, NULL, OPT_ROOT},
      {"log", required_argument, NULL, OPT_LOG},
      {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
      {"debug", optional_argument, NULL, OPT_DEBUG},
      {"systemd-cgroup", optional_argument, NULL, OPT_SYSTEMD},
      {"criu", required_argument, NULL, OPT_CRIU},
      {"rootless", required_argument, NULL, OPT_ROOTLESS},
      {"cgroup-manager", required_argument, NULL, OPT_CGMGR},
      {"config", required_argument, NULL, OPT_CONFIG},
      {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  struct globals g = {.log_format = "text"};
  cli_normalize(argc, argv, opts);
  optind = 0;
  opterr = 1;
  int ch;
  while ((ch = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
    switch (ch) {
    case OPT_ROOT:
      g.ctx.base.state_root = optarg;
      break;
    case OPT_LOG:
      g.log = optarg;
      break;
    case OPT_LOG_FORMAT:
      g.log_format = optarg;
      break;
    case OPT_DEBUG:
      g.debug = cli_bool(optarg);
      break;
    case OPT_SYSTEMD:
      g.ctx.base.systemd_cgroup = cli_bool(optarg);
      break;
    case OPT_CGMGR:
      if (strcmp(optarg, "systemd") == 0)
        g.ctx.base.systemd_cgroup = true;
      break;
    case OPT_CONFIG:
      g.ctx.config_path = optarg;
      break;
    case OPT_CRIU:
    case OPT_ROOTLESS:
      break;
    case 'v':
      version();
      return 0;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 1;
    }
  }
  if (optind >= argc) {
    usage(stdout);
    return 0;
  }
  const char *name = argv[optind];
  if (strcmp(name, "help") == 0) {
    usage(stdout);
    return 0;
  }
  const struct verb *v = NULL;
  for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
    if (strcmp(name, verbs[i].name) == 0)
      v = &verbs[i];
  /* Before the log is opened or anything else is touched: help changes nothing. */
  if (v != NULL &&
      cli_asks_help(argc - optind, argv + optind, v->fn == verb_exec || v->fn == verb_ps)) {
    verb_usage(v);
    return 0;
  }
  if (log_init(g.log, g.log_format, g.debug) < 0)
    return 1;
  if (v == NULL) {
    log_fatal("bottle: command \"%s\" not found", name);
    return 1;
  }
  /* runc's default: /run/<name> for root, $XDG_RUNTIME_DIR/<name> when
   * rootless (podman calls `state` without --root, so create and state must
   * agree on this). */
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  cleanup_free char *root = g.ctx.base.state_root == NULL && (v->flags & SEARCHES_ROOTS) ? NULL
                            : g.ctx.base.state_root           ? abs_path(g.ctx.base.state_root)
                            : (geteuid() != 0 && xdg && *xdg) ? xasprintf("%s/bottle", xdg)
                                                              : xstrdup("/run/bottle");
  g.ctx.base.state_root = root;
  if (v->flags & ENTERS_CONTAINER)
    selfexe_ensure_sealed(argv);
  return v->fn(&g, argc - optind, argv + optind);
}

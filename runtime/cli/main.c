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
#include "runtime/lib/log.h"
#include "runtime/security/selfexe.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

#ifndef BOTTLE_VERSION
#define BOTTLE_VERSION "0.0.0"
#endif
#ifndef BOTTLE_COMMIT
#define BOTTLE_COMMIT "unknown"
#endif

static const struct {
  const char *name;
  int (*fn)(struct globals *, int, char **);
  bool enters_container; /* runs code inside container namespaces */
} verbs[] = {
    {"create", verb_create, true},
    {"start", verb_start, false},
    {"run", verb_run, true},
    {"state", verb_state, false},
    {"kill", verb_kill, false},
    {"delete", verb_delete, false},
    {"list", verb_list, false},
    {"ps", verb_ps, false},
    {"exec", verb_exec, true},
    {"features", verb_features, false},
    {"spec", verb_spec, false},
    {"events", verb_events, false},
    {"pause", verb_pause, false},
    {"resume", verb_resume, false},
    {"update", verb_update, false},
    {"checkpoint", verb_checkpoint, false},
    {"restore", verb_checkpoint, false},
};

static void usage(FILE *f)
{
  fprintf(f, "usage: bottle [global options] command [command options] [arguments...]\n\n"
             "commands: create start run state kill delete list ps exec features spec events\n"
             "          pause resume update (checkpoint/restore: not supported)\n\n"
             "global options:\n"
             "  --root DIR             state directory (default /run/bottle)\n"
             "  --log FILE             log file (default stderr)\n"
             "  --log-format text|json log format (default text)\n"
             "  --debug                debug logging\n"
             "  --systemd-cgroup       cgroupsPath is slice:prefix:name\n"
             "  --config FILE          bottle's runtime config (egress policy)\n"
             "  --version, -v          print the version\n"
             "accepted and ignored: --criu, --rootless, --cgroup-manager\n");
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
  struct globals g = {.root = NULL, .log_format = "text", .progname = "bottle"};
  cli_normalize(argc, argv, opts);
  optind = 0;
  opterr = 1;
  int ch;
  while ((ch = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
    switch (ch) {
    case OPT_ROOT:
      g.root = optarg;
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
      g.systemd_cgroup = cli_bool(optarg);
      break;
    case OPT_CGMGR:
      if (strcmp(optarg, "systemd") == 0)
        g.systemd_cgroup = true;
      break;
    case OPT_CONFIG:
      g.config_path = optarg;
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
  if (log_init(g.log, g.log_format, g.debug) < 0)
    return 1;
  if (optind >= argc) {
    usage(stdout);
    return 0;
  }
  const char *verb = argv[optind];
  if (strcmp(verb, "help") == 0) {
    usage(stdout);
    return 0;
  }
  /* runc's default: /run/<name> for root, $XDG_RUNTIME_DIR/<name> when
   * rootless (podman calls `state` without --root, so create and state must
   * agree on this). */
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  char *root = g.root                            ? abs_path(g.root)
               : (geteuid() != 0 && xdg && *xdg) ? xasprintf("%s/bottle", xdg)
                                                 : xstrdup("/run/bottle");
  g.root = root;
  if (strcmp(verb, "logs") == 0 || strcmp(verb, "gc") == 0) {
    int rc = (verb[0] == 'l' ? bottle_logs_main : bottle_gc_main)(&g, argc - optind, argv + optind);
    free(root);
    return rc;
  }
  for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++) {
    if (strcmp(verb, verbs[i].name) != 0)
      continue;
    if (verbs[i].enters_container)
      selfexe_ensure_sealed(argv);
    int rc = verbs[i].fn(&g, argc - optind, argv + optind);
    free(root);
    return rc;
  }
  log_fatal("bottle: command \"%s\" not found", verb);
  free(root);
  return 1;
}

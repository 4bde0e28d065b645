#include "runtime/cli/bottle_run.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/bottle/bottle.h"
#include "runtime/bottle/pod.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/security/selfexe.h"
#include "runtime/container/state.h"
#include "runtime/lib/util.h"
#include "netns/netns.h"
#include "runtime/cli/verbs.h"

static void run_usage(FILE *f)
{
  fputs("usage: bottle-run [options] BUNDLE\n"
        "Runs the OCI bundle's process as a bottled agent in the foreground: its only way out\n"
        "is the pipelock proxy. Prints the plan first; everything is removed on exit.\n"
        "  --profile NAME   a profile (bottles.NAME) of the runtime config\n"
        "  --allow HOST     allow one more host (repeatable)\n"
        "  --config FILE    the runtime config (default: $BOTTLE_CONFIG, /etc/bottle/bottle.json)\n"
        "  --root DIR       state directory (default /run/bottle)\n"
        "  --dry-run        print the plan; create nothing\n"
        "  --yes, -y        do not ask before creating (asked only when stdin is a terminal)\n"
        "  --help, -h\n",
        f);
}

/* The question comes after the foreground run has blocked the signals it forwards to the agent,
 * yet nothing exists yet: Ctrl-C (or a SIGTERM) here must end bottle-run, not wait in the
 * queue and hit the agent once it is created. */
static bool ask_yes_no(void)
{
  sigset_t interrupt, saved;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, SIGINT);
  sigaddset(&interrupt, SIGQUIT);
  sigaddset(&interrupt, SIGHUP);
  sigaddset(&interrupt, SIGTERM);
  fputs("Create this bottle? [y/N] ", stdout);
  fflush(stdout);
  sigprocmask(SIG_UNBLOCK, &interrupt, &saved);
  char line[16];
  bool yes = fgets(line, sizeof(line), stdin) != NULL && (line[0] == 'y' || line[0] == 'Y');
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return yes;
}

static void sweep_killed_runs(const struct globals *g);

int bottle_run_main(int argc, char **argv)
{
  enum { OPT_PROFILE = 1000, OPT_ALLOW, OPT_CONFIG, OPT_ROOT, OPT_DRY };
  static const struct option opts[] = {
      {"profile", required_argument, NULL, OPT_PROFILE},
      {"allow", required_argument, NULL, OPT_ALLOW},
      {"config", required_argument, NULL, OPT_CONFIG},
      {"root", required_argument, NULL, OPT_ROOT},
      {"dry-run", no_argument, NULL, OPT_DRY},
      {"yes", no_argument, NULL, 'y'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  struct globals g = {.log_format = "text"};
  struct bottled_overrides ov = {.print_plan = true};
  cleanup_free char **allow = calloc((size_t)argc + 1, sizeof(char *));
  size_t nallow = 0;
  bool yes = false;
  const char *root = "/run/bottle";
  int ch;
  while ((ch = getopt_long(argc, argv, "+yh", opts, NULL)) != -1) {
    switch (ch) {
    case OPT_PROFILE:
      ov.profile = optarg;
      break;
    case OPT_ALLOW:
      allow[nallow++] = optarg;
      break;
    case OPT_CONFIG:
      g.ctx.config_path = optarg;
      break;
    case OPT_ROOT:
      root = optarg;
      break;
    case OPT_DRY:
      ov.dry_run = true;
      break;
    case 'y':
      yes = true;
      break;
    case 'h':
      run_usage(stdout);
      return 0;
    default:
      run_usage(stderr);
      return 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "bottle-run: expected exactly one BUNDLE argument (see --help)\n");
    return 2;
  }
  ov.allow = nallow ? allow : NULL;
  if (!yes && !ov.dry_run && isatty(STDIN_FILENO))
    ov.confirm = ask_yes_no;
  log_init_plain("bottle-run"); /* a command people type: plain lines, not runc's log */
  cleanup_free char *root_abs = abs_path(root);
  g.ctx.base.state_root = root_abs;
  g.ctx.overrides = &ov;
  cleanup_free char *bundle = abs_path(argv[optind]);
  cleanup_free char *bundle_config = xasprintf("%s/config.json", bundle);
  if (access(bundle_config, F_OK) < 0) {
    fprintf(stderr,
            "bottle-run: %s: %s; give an OCI bundle directory (`bottle spec` writes a "
            "config.json)\n",
            bundle_config, strerror(errno));
    return 2;
  }
  char id[64];
  snprintf(id, sizeof(id), "bottle-run-%d", (int)getpid());

  if (ov.dry_run) {
    bottle_error_t err = {0};
    struct create_opts o = {.id = id, .bundle = bundle};
    struct container *c = NULL;
    if (chdir(bundle) < 0) {
      berr(&err, errno, "chdir to bundle %s", bundle);
      return verb_fail(&err, NULL, 1);
    }
    if (bottle_create(&g.ctx, &o, &c, &err) < 0)
      return verb_fail(&err, NULL, 1);
    container_free(c);
    puts("dry run: nothing was created");
    return 0;
  }
  selfexe_ensure_sealed(argv);
  sweep_killed_runs(&g);
  /* In the foreground: signals go to the agent, its exit status is ours, and everything is
   * deleted when it ends. */
  bottle_error_t err = {0};
  struct create_opts o = {.id = id, .bundle = bundle};
  struct bottle_run_opts r = {0};
  int rc = bottle_run(&g.ctx, &o, &r, &err);
  /* bottle-run's plain log lines already begin with its name */
  return rc < 0 ? verb_fail(&err, NULL, 1) : rc;
}

/* Removes bottle id when its agent state is gone (a crash mid-create, a shim that died
 * before delete) or, with stopped_too, when its agent has exited: the agent first (its
 * cgroup, state and poststop hooks), as delete does, then the bottle. 1 when removed, 0 when
 * left alone, -1 on error (logged). */
static int gc_one(const struct globals *g, const char *id, bool stopped_too)
{
  struct container *c = NULL;
  bottle_error_t err = {0};
  bool has_state = container_load(&g->ctx.base, id, true, &c, &err) == 0;
  berr_clear(&err);
  bool stopped = has_state && container_status(c) == STATUS_STOPPED;
  /* A pod's bottle is its network: it stays while a container that joined it runs. */
  if ((has_state && !(stopped && stopped_too)) || pod_has_running_members(&g->ctx, id)) {
    container_free(c);
    return 0;
  }
  if (bottle_delete(&g->ctx, id, has_state ? c : NULL, &err) < 0) {
    log_msg(LOG_WARNING, "gc %s: %s", id, err.msg);
    return -1;
  }
  return 1;
}

/* The pid in a bottle-run's container id, or 0 for any other id. */
static pid_t bottle_run_pid(const char *id)
{
  int n = 0, end = 0;
  if (sscanf(id, "bottle-run-%d%n", &n, &end) != 1 || id[end] != '\0' || n <= 0)
    return 0;
  return (pid_t)n;
}

/* A bottle-run killed by SIGKILL cannot delete its bottle; its agent and sidecar died with
 * it, the rest stays. The next bottle-run removes such leftovers: those of bottle-runs whose
 * process is gone, and any that carries its own id (a pid reused). A bottle whose agent still
 * runs is left alone. */
static void sweep_killed_runs(const struct globals *g)
{
  cleanup_free char *dir = xasprintf("%s/" BOTTLED_DIR, g->ctx.base.state_root);
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    pid_t owner = bottle_run_pid(e->d_name);
    if (owner == 0 || (owner != getpid() && (kill(owner, 0) == 0 || errno != ESRCH)))
      continue;
    if (gc_one(g, e->d_name, true) > 0)
      fprintf(stderr, "bottle-run: removed %s, left by a bottle-run that was killed\n", e->d_name);
  }
  closedir(d);
}

/* The networks of creates that died mid-build and that no bottle names any more (their state
 * root was lost with the bottle's record): their records are the host's, shared by every root,
 * and the build's own process is gone. A finished network is never touched here: only its
 * bottle knows whether it is still in use. */
static int gc_orphan_networks(void)
{
  bottle_error_t err = {0};
  int n = netns_gc(NULL, NULL, NULL, &err);
  if (n < 0) {
    log_msg(LOG_WARNING, "gc: %s", err.msg);
    return -1;
  }
  if (n > 0)
    printf("removed %d network%s whose create never finished\n", n, n == 1 ? "" : "s");
  return 0;
}

/* gc removes the sidecar, network and overlay of every bottle whose agent state is gone (a
 * crash mid-create, a shim that died before delete); with --stopped also those whose agent
 * has exited, together with the agent's state. Then the networks of creates that died
 * mid-build and that no bottle names. */
int bottle_gc_main(struct globals *g, int argc, char **argv)
{
  bool all_stopped = argc > 1 && strcmp(argv[1], "--stopped") == 0;
  cleanup_free char *dir = xasprintf("%s/" BOTTLED_DIR, g->ctx.base.state_root);
  int rc = 0;
  DIR *d = opendir(dir);
  if (d == NULL)
    return gc_orphan_networks() < 0 ? 1 : 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    int r = gc_one(g, e->d_name, all_stopped);
    if (r < 0)
      rc = 1;
    else if (r > 0)
      printf("removed %s\n", e->d_name);
  }
  closedir(d);
  if (gc_orphan_networks() < 0)
    rc = 1;
  return rc;
}

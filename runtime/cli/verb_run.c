#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/container/state.h"
#include "runtime/bottle/bottle.h"
#include "runtime/bottle/start_gate.h"
#include "runtime/lib/cleanup.h"
#include "runtime/container/container.h"
#include "runtime/cli/create_flags.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"
#include "runtime/container/waitloop.h"

enum { OPT_KEEP = CREATE_OPT_NEXT, OPT_NO_SUBREAPER };

static const struct option run_opts[] = {
    CREATE_FLAG_OPTIONS,
    {"detach", optional_argument, NULL, 'd'},
    {"keep", optional_argument, NULL, OPT_KEEP},
    {"no-subreaper", optional_argument, NULL, OPT_NO_SUBREAPER},
    {NULL, 0, NULL, 0},
};

int verb_run(struct globals *g, int argc, char **argv)
{
  struct create_args a = {0};
  bool detach = false, keep = false, no_subreaper = false;
  cli_normalize(argc, argv, run_opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+b:d", run_opts, NULL)) != -1) {
    if (create_flag(&a, ch, optarg))
      continue;
    switch (ch) {
    case 'd':
      detach = cli_bool(optarg);
      break;
    case OPT_KEEP:
      keep = cli_bool(optarg);
      break;
    case OPT_NO_SUBREAPER:
      no_subreaper = cli_bool(optarg);
      break;
    default:
      return cli_usage_error("run", "flag provided but not defined");
    }
  }
  if (create_args_finish(&a, argc, argv, "run") < 0)
    return 1;
  struct create_opts o = a.o;
  bottle_error_t err = {0};
  int rc = 0;
  struct container *c = NULL;
  int tty_pair[2] = {-1, -1};
  if (!detach && o.console_socket == NULL &&
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty_pair) == 0) {
    /* offered to create: used only when process.terminal is true */
    o.has_console_peer = true;
    o.console_peer = tty_pair[1];
  }
  /* bottle-run owns its agent: when it dies, even by SIGKILL, its containers go with it. */
  o.die_with_caller = g->bottled != NULL && !detach;
  if (!detach) {
    if (!no_subreaper)
      prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    waitloop_block_signals();
  }
  if (chdir(a.bundle) < 0) {
    berr(&err, errno, "chdir to bundle %s", a.bundle);
  } else if (bottle_create(g, &o, g->bottled, &c, &err) == 0) {
    if (tty_pair[1] >= 0) {
      close(tty_pair[1]);
      tty_pair[1] = -1;
    }
    if (container_start(c, start_gate, &err) < 0) {
      bottle_delete(g, o.id, take_ptr(c), NULL);
    } else if (!detach) {
      pid_t pid = c->pid;
      flock(c->dirfd, LOCK_UN); /* others may pause/kill/exec while we wait */
      bool terminal = cJSON_IsTrue(json_path(c->config, "process.terminal"));
      rc = terminal && tty_pair[0] >= 0 ? waitloop_run_tty(pid, tty_pair[0]) : waitloop_run(pid);
      if (!keep) {
        struct container *again = NULL;
        bottle_error_t e2 = {0};
        if (state_load(g->root, o.id, true, &again, &e2) == 0)
          bottle_delete(g, o.id, again, &e2);
        if (e2.set)
          log_msg(LOG_WARNING, "run: cleanup: %s", e2.msg);
      }
    }
    container_free(c);
  }
  if (err.set)
    /* bottle-run's plain log lines already begin with its name */
    rc = verb_fail(&err, g->bottled != NULL ? NULL : "bottle run failed: ", 1);
  for (int i = 0; i < 2; i++)
    if (tty_pair[i] >= 0)
      close(tty_pair[i]);
  create_args_free(&a);
  return rc;
}

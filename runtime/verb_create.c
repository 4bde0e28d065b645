#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/bottled.h"
#include "runtime/container.h"
#include "runtime/util.h"
#include "runtime/verbs.h"

enum { OPT_NO_PIVOT = 1000, OPT_NO_NEW_KEYRING, OPT_PRESERVE_FDS, OPT_CONSOLE, OPT_PIDFILE };

static const struct option create_opts[] = {
    {"bundle", required_argument, NULL, 'b'},
    {"console-socket", required_argument, NULL, OPT_CONSOLE},
    {"pid-file", required_argument, NULL, OPT_PIDFILE},
    {"no-pivot", optional_argument, NULL, OPT_NO_PIVOT},
    {"no-new-keyring", optional_argument, NULL, OPT_NO_NEW_KEYRING},
    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
    {"pidfd-socket", required_argument, NULL, 'P'},
    {NULL, 0, NULL, 0},
};

int verb_create(struct globals *g, int argc, char **argv)
{
  struct create_opts o = {0};
  const char *bundle = ".";
  cli_normalize(argc, argv, create_opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+b:", create_opts, NULL)) != -1) {
    switch (ch) {
    case 'b':
      bundle = optarg;
      break;
    case OPT_CONSOLE:
      o.console_socket = optarg;
      break;
    case OPT_PIDFILE:
      o.pid_file = optarg;
      break;
    case OPT_NO_PIVOT:
      o.no_pivot = cli_bool(optarg);
      break;
    case OPT_NO_NEW_KEYRING:
      o.no_new_keyring = cli_bool(optarg);
      break;
    case OPT_PRESERVE_FDS:
      o.preserve_fds = atoi(optarg);
      break;
    case 'P':
      break;
    default:
      return cli_usage_error("create", "flag provided but not defined");
    }
  }
  o.id = cli_one_id(argc, argv, optind, "create");
  if (o.id == NULL)
    return 1;
  bottle_error_t err = NULL;
  if (!cli_valid_id(o.id)) {
    berr(&err, 0, "invalid container ID format: %s", o.id);
    return verb_fail(&err, "bottle create failed: ", 1);
  }
  char *pid_file = o.pid_file ? abs_path(o.pid_file) : NULL;
  char *console = o.console_socket ? abs_path(o.console_socket) : NULL;
  char *bundle_abs = abs_path(bundle);
  o.pid_file = pid_file;
  o.console_socket = console;
  o.bundle = bundle_abs;
  struct container *c = NULL;
  int rc = 0;
  if (chdir(bundle_abs) < 0)
    berr(&err, errno, "chdir to bundle %s", bundle_abs);
  else if (bottled_create(g, &o, NULL, &c, &err) == 0)
    container_free(c);
  if (err)
    rc = verb_fail(&err, "bottle create failed: ", 1);
  free(pid_file);
  free(console);
  free(bundle_abs);
  return rc;
}

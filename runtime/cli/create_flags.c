#include "runtime/cli/create_flags.h"

#include <stdio.h>
#include <stdlib.h>

#include "runtime/cli/cli.h"
#include "runtime/container/state.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

bool create_flag(struct create_args *a, int ch, const char *arg)
{
  switch (ch) {
  case 'b':
    a->bundle_arg = arg;
    return true;
  case CREATE_OPT_CONSOLE:
    a->o.console_socket = arg;
    return true;
  case CREATE_OPT_PIDFILE:
    a->o.pid_file = arg;
    return true;
  case CREATE_OPT_NO_PIVOT:
    a->o.no_pivot = cli_bool(arg);
    return true;
  case CREATE_OPT_NO_NEW_KEYRING:
    a->o.no_new_keyring = cli_bool(arg);
    return true;
  case CREATE_OPT_PRESERVE_FDS:
    a->o.preserve_fds = atoi(arg);
    return true;
  case CREATE_OPT_PIDFD_SOCKET: /* runc >= 1.2 */
    a->o.pidfd_socket = arg;
    return true;
  default:
    return false;
  }
}

int create_args_finish(struct create_args *a, int argc, char **argv, const char *verb)
{
  a->o.id = cli_one_id(argc, argv, optind, verb);
  if (a->o.id == NULL)
    return -1;
  if (!state_valid_id(a->o.id)) {
    bottle_error_t err = {0};
    berr(&err, 0, "invalid container ID format: %s", a->o.id);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "bottle %s failed: ", verb);
    verb_fail(&err, prefix, 1);
    return -1;
  }
  a->pid_file = a->o.pid_file ? abs_path(a->o.pid_file) : NULL;
  a->console_socket = a->o.console_socket ? abs_path(a->o.console_socket) : NULL;
  a->pidfd_socket = a->o.pidfd_socket ? abs_path(a->o.pidfd_socket) : NULL;
  a->bundle = abs_path(a->bundle_arg ? a->bundle_arg : ".");
  a->o.pid_file = a->pid_file;
  a->o.console_socket = a->console_socket;
  a->o.pidfd_socket = a->pidfd_socket;
  a->o.bundle = a->bundle;
  return 0;
}

void create_args_free(struct create_args *a)
{
  free(a->pid_file);
  free(a->console_socket);
  free(a->pidfd_socket);
  free(a->bundle);
}

/* The flags `create` and `run` share (runc-cli.md §4.1), parsed in one place. */
#ifndef BOTTLE_CREATE_FLAGS_H
#define BOTTLE_CREATE_FLAGS_H

#include <getopt.h>
#include <stdbool.h>
#include "runtime/container/container.h"

enum {
  CREATE_OPT_CONSOLE = 1000,
  CREATE_OPT_PIDFILE,
  CREATE_OPT_NO_PIVOT,
  CREATE_OPT_NO_NEW_KEYRING,
  CREATE_OPT_PRESERVE_FDS,
  CREATE_OPT_PIDFD_SOCKET,
  CREATE_OPT_NEXT /* the first value free for a verb's own flags */
};

/* getopt_long entries for the shared flags; a verb lists them first in its table. */
#define CREATE_FLAG_OPTIONS                                                                        \
  {"bundle", required_argument, NULL, 'b'},                                                        \
      {"console-socket", required_argument, NULL, CREATE_OPT_CONSOLE},                             \
      {"pid-file", required_argument, NULL, CREATE_OPT_PIDFILE},                                   \
      {"no-pivot", optional_argument, NULL, CREATE_OPT_NO_PIVOT},                                  \
      {"no-new-keyring", optional_argument, NULL, CREATE_OPT_NO_NEW_KEYRING},                      \
      {"preserve-fds", required_argument, NULL, CREATE_OPT_PRESERVE_FDS},                          \
  {                                                                                                \
    "pidfd-socket", required_argument, NULL, CREATE_OPT_PIDFD_SOCKET                               \
  }

struct create_args {
  struct create_opts o; /* paths in it point at the absolute copies below */
  const char *bundle_arg;
  char *bundle, *pid_file, *console_socket, *pidfd_socket;
};

/* Applies one getopt_long result; false when ch is not a shared flag. */
bool create_flag(struct create_args *a, int ch, const char *arg);
/* After the flags: exactly one valid container id, and absolute paths (made before the
 * verb chdirs into the bundle). Reports the error and returns -1. */
int create_args_finish(struct create_args *a, int argc, char **argv, const char *verb);
void create_args_free(struct create_args *a);

#endif

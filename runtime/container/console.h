/* The container's terminal (§6.4, §6.5): a pty from the container's own
 * devpts, the master sent over the caller's console socket, the slave made
 * the controlling terminal and stdio. */
#ifndef BOTTLE_CONSOLE_H
#define BOTTLE_CONSOLE_H

#include <stdbool.h>
#include <sys/types.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

/* Connects to the caller's listening AF_UNIX socket (host mount namespace). */
int console_connect(const char *path, bottle_error_t *err);
/* Opens /dev/ptmx (after pivot/setns), applies process.consoleSize, sends
 * the master on sock, optionally binds the slave over /dev/console, makes the
 * slave the controlling tty and fds 0-2, and chowns it to uid. Closes sock. */
int console_setup(int sock, const cJSON *process, bool bind_console, uid_t uid,
                  bottle_error_t *err);
/* --pidfd-socket (runc 1.2): connects to the caller's socket at path and sends a pidfd of
 * pid with SCM_RIGHTS, the message text "standard" for a container's init and "setns" for
 * an exec'd process, as runc. */
int pidfd_send_to_socket(const char *path, pid_t pid, const char *kind, bottle_error_t *err);

#endif

/* Foreground `run` and `exec`: wait for the container process while
 * forwarding every signal we receive to it (§4.3), then turn its wait status
 * into an exit code (128+signo when killed). */
#ifndef BOTTLE_WAITLOOP_H
#define BOTTLE_WAITLOOP_H

#include <sys/types.h>

/* Blocks all forwardable signals; call before creating the child so none is lost. */
void waitloop_block_signals(void);
/* Waits for pid (our child), forwarding signals; reaps other orphans too
 * (we may be a subreaper). Returns the exit code to use. */
int waitloop_run(pid_t pid);

/* Same, for a container process on a pty whose master arrives on sock (the
 * foreground `run`/`exec -t` without --console-socket, as runc does): our
 * stdin (raw mode when a tty) goes to the master, the master to our stdout,
 * SIGWINCH resizes it. */
int waitloop_run_tty(pid_t pid, int sock);

#endif

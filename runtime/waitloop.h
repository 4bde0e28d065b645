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

#endif

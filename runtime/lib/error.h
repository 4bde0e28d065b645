/* The one error value of bottle (runtime/, config/ and netns/): a message and an errno that
 * gain context as they travel up: "create: rootfs: mount /proc: Operation not permitted".
 *
 * The first error set wins: the deepest code states the precise problem and callers only
 * prefix context with berr_wrap, never overwrite it. So a function is handed an unset error,
 * and code that handles an error and goes on (a retry, an "already gone" that is fine) clears
 * it (berr_clear): a later failure is then not reported with a stale message, and a success
 * leaves no error set.
 *
 * It is a plain fixed-size value (no allocation, nothing to free) so that it can be copied, set
 * in a forked or cloned child with no heap of its own, and cross a pipe (the network child's
 * result, runtime/bottle/bottled_net.c) in one write smaller than PIPE_BUF. */
#ifndef BOTTLE_ERROR_H
#define BOTTLE_ERROR_H

#include <stdbool.h>

/* Room for any real message with its context: the longest formats are ~200 characters, the
 * values they quote are cut to ~80 (cfg_quote), paths are short; a hook's output is cut here. */
#define BOTTLE_ERROR_MSG_MAX 2048

typedef struct bottle_error {
  int errnum;                     /* errno of the root cause, 0 when there is none */
  bool set;                       /* an error was reported */
  char msg[BOTTLE_ERROR_MSG_MAX]; /* full message, context first; "" when not set */
} bottle_error_t;

/* Sets *err unless an error is already there, and returns -1. errnum != 0 appends ": " and
 * strerror(errnum). err may be NULL (the caller does not want the message). A message too long
 * for msg is cut, and ends in "...". */
int berr(bottle_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the error's message with context and ": "; returns -1. Does nothing when no error
 * is set (or err is NULL). */
int berr_wrap(bottle_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports *from, an error held elsewhere (a local one, or one read from another process), as
 * *err's unless *err already holds one; returns -1. err may be NULL. */
int berr_pass(bottle_error_t *err, const bottle_error_t *from);
/* Forgets the error (after handling it), so that the next one can be set. */
void berr_clear(bottle_error_t *err);

#endif

/* Error values that carry a message and an errno, and gain context as they
 * travel up: "create: rootfs: mount /proc: Operation not permitted". */
#ifndef BOTTLE_ERROR_H
#define BOTTLE_ERROR_H

struct bottle_error {
  int errnum; /* errno of the root cause, 0 when there is none */
  char *msg;  /* full message, context first */
};
typedef struct bottle_error *bottle_error_t;

/* Sets *err (if it is still NULL) and returns -1. errnum != 0 appends strerror. */
int berr(bottle_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with context; returns -1. */
int berr_wrap(bottle_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void berr_free(bottle_error_t *err);

#endif

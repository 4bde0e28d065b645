#include "netns/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nn_fail(struct nn_error *err, int errnum, const char *fmt, ...)
{
  if (err == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  va_end(ap);
  if (errnum != 0 && n >= 0 && (size_t)n < sizeof(err->msg))
    snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
  err->errnum = errnum;
  return -1;
}

int nn_wrap(struct nn_error *err, const char *fmt, ...)
{
  if (err == NULL)
    return -1;
  char old[sizeof(err->msg)];
  memcpy(old, err->msg, sizeof(old));
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  va_end(ap);
  /* Truncation of a long chain is acceptable: the context comes first. */
  if (n >= 0 && (size_t)n + 2 < sizeof(err->msg)) {
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof(err->msg) - (size_t)n - 3;
    size_t len = strnlen(old, room);
    memcpy(err->msg + n + 2, old, len);
    err->msg[n + 2 + len] = '\0';
  }
  return -1;
}

#include "runtime/lib/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { CAP = BOTTLE_ERROR_MSG_MAX };

/* Appends s to msg (holding len bytes), cutting it to fit; a cut message ends in "...". */
static size_t append(char *msg, size_t len, const char *s)
{
  size_t n = strlen(s);
  if (len + n < CAP) {
    memcpy(msg + len, s, n + 1);
    return len + n;
  }
  memcpy(msg + len, s, CAP - 1 - len);
  memcpy(msg + CAP - 4, "...", 4);
  return CAP - 1;
}

/* vsnprintf into msg, marking a cut; returns the length written. */
__attribute__((format(printf, 2, 0))) static size_t format(char *msg, const char *fmt, va_list ap)
{
  int n = vsnprintf(msg, CAP, fmt, ap);
  if (n < 0) {
    msg[0] = '\0';
    return 0;
  }
  if (n < CAP)
    return (size_t)n;
  memcpy(msg + CAP - 4, "...", 4);
  return CAP - 1;
}

int berr(bottle_error_t *err, int errnum, const char *fmt, ...)
{
  if (err == NULL || err->set)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  size_t len = format(err->msg, fmt, ap);
  va_end(ap);
  if (errnum != 0) {
    /* The cause is the part worth keeping: a long message makes room for it. */
    char cause[128];
    snprintf(cause, sizeof(cause), ": %s", strerror(errnum));
    size_t need = strlen(cause);
    if (len + need >= CAP) {
      len = CAP - 1 - need - 3;
      memcpy(err->msg + len, "...", 4);
      len += 3;
    }
    len = append(err->msg, len, cause);
  }
  err->errnum = errnum;
  err->set = true;
  return -1;
}

int berr_wrap(bottle_error_t *err, const char *fmt, ...)
{
  if (err == NULL || !err->set)
    return -1;
  char cause[CAP];
  memcpy(cause, err->msg, CAP);
  va_list ap;
  va_start(ap, fmt);
  size_t len = format(err->msg, fmt, ap);
  va_end(ap);
  len = append(err->msg, len, ": ");
  append(err->msg, len, cause);
  return -1;
}

int berr_pass(bottle_error_t *err, const bottle_error_t *from)
{
  if (err != NULL && !err->set && from->set)
    *err = *from;
  return -1;
}

void berr_clear(bottle_error_t *err)
{
  if (err == NULL)
    return;
  err->errnum = 0;
  err->set = false;
  err->msg[0] = '\0';
}

#include "runtime/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int berr(bottle_error_t *err, int errnum, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  struct bottle_error *e = calloc(1, sizeof(*e));
  if (e == NULL)
    abort();
  va_list ap;
  va_start(ap, fmt);
  char *base = vformat(fmt, ap);
  va_end(ap);
  if (base == NULL)
    abort();
  if (errnum != 0) {
    if (asprintf(&e->msg, "%s: %s", base, strerror(errnum)) < 0)
      abort();
    free(base);
  } else {
    e->msg = base;
  }
  e->errnum = errnum;
  *err = e;
  return -1;
}

int berr_wrap(bottle_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *ctx = vformat(fmt, ap);
  va_end(ap);
  char *joined = NULL;
  if (ctx == NULL || asprintf(&joined, "%s: %s", ctx, (*err)->msg) < 0)
    abort();
  free(ctx);
  free((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

void berr_free(bottle_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free((*err)->msg);
  free(*err);
  *err = NULL;
}

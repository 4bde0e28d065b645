#include "runtime/lib/error.h"
#include "runtime/lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int berr(bottle_error_t *err, int errnum, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  struct bottle_error *e = calloc(1, sizeof(*e));
  if (e == NULL)
    abort();
  va_list ap;
  va_start(ap, fmt);
  char *base = xvasprintf(fmt, ap);
  va_end(ap);
  if (errnum != 0) {
    e->msg = xasprintf("%s: %s", base, strerror(errnum));
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
  char *ctx = xvasprintf(fmt, ap);
  va_end(ap);
  char *joined = xasprintf("%s: %s", ctx, (*err)->msg);
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

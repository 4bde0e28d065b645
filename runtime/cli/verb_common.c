#include <stdlib.h>

#include "runtime/lib/log.h"
#include "runtime/cli/verbs.h"

int verb_fail(bottle_error_t *err, const char *prefix, int code)
{
  const char *msg = (err && err->set) ? err->msg : "unknown error";
  if (prefix)
    log_fatal("%s%s", prefix, msg);
  else
    log_fatal("%s", msg);
  berr_clear(err);
  return code;
}

/* What the bottle layer is told by whoever drives it: the container library's context, bottle's
 * runtime config and bottle-run's overrides. The CLI fills it from its flags (runc's and
 * bottle-run's); nothing below the CLI reads a flag. */
#ifndef BOTTLE_BOTTLE_CONTEXT_H
#define BOTTLE_BOTTLE_CONTEXT_H

#include "runtime/container/container.h"

struct bottled_overrides;

struct bottle_context {
  struct container_context base;             /* state root (NULL: not chosen), cgroup driver */
  const char *config_path;                   /* bottle.json to read; NULL: the default */
  const struct bottled_overrides *overrides; /* bottle-run's (runtime/bottle/bottled.h); NULL
                                                for the runc verbs */
};

#endif

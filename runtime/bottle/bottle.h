/* The front door for a container that may be bottled: create and delete own the order in which
 * a bottle's parts are made and removed (docs/design.md), so that the verbs, bottle-run and gc
 * never write it out themselves. */
#ifndef BOTTLE_BOTTLE_H
#define BOTTLE_BOTTLE_H

#include "runtime/bottle/bottled.h"

/* Loads config.json from the bundle (the cwd), resolves the policy, and creates either a plain
 * container or a bottled one. A failed create leaves nothing of the bottle behind. */
int bottle_create(const struct bottle_context *ctx, struct create_opts *o, struct container **out,
                  bottle_error_t *err);

/* runc run's choices beyond create's. */
struct bottle_run_opts {
  bool detach;       /* return once the container is started */
  bool keep;         /* leave the container when it exits (runc run --keep) */
  bool no_subreaper; /* do not adopt the container's orphans while waiting */
};
/* runc run and bottle-run: chdir into o->bundle, create, start and, unless r->detach, wait in
 * the foreground (signals forwarded, the terminal relayed) and delete the container when it ends
 * (unless r->keep). The exit status to exit with (the init's; 128+N when a signal killed it), or
 * -1 with err set when the container could not be created or started (then nothing is left). */
int bottle_run(const struct bottle_context *ctx, struct create_opts *o,
               const struct bottle_run_opts *r, bottle_error_t *err);

/* Removes container id: c (its cgroup, state and poststop hooks; NULL when its state could not be
 * loaded, as after a crash mid-create: then whatever is left of its state dir), then what its
 * bottle made beside it (sidecar, network, overlay, <root>/.bottle/<id>). Frees c. The first
 * error is returned; the bottle is not touched when the container could not be removed. */
int bottle_delete(const struct bottle_context *ctx, const char *id, struct container *c,
                  bottle_error_t *err);

#endif

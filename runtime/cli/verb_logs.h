/* `bottle logs`: a bottled container's egress log, found by id, id prefix or Docker name. */
#ifndef BOTTLE_VERB_LOGS_H
#define BOTTLE_VERB_LOGS_H

#include "runtime/cli/cli.h"

/* argv starts at "logs"; g->ctx.base.state_root is NULL when --root was not given (then every
 * engine's state root is searched). */
int verb_logs(struct globals *g, int argc, char **argv);

#endif

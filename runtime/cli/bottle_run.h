/* bottle's own commands beside the runc verbs (issue 5):
 *   bottle-run BUNDLE   the manual entry: plan, y/N, agent in the foreground, clean-up
 *   bottle logs ID      the sidecar's audit log, blocked requests marked
 *   bottle gc           removes what crashed or abandoned bottles left behind */
#ifndef BOTTLE_BOTTLE_RUN_H
#define BOTTLE_BOTTLE_RUN_H

#include "runtime/cli/cli.h"

/* argv as given to the binary invoked as "bottle-run". */
int bottle_run_main(int argc, char **argv);
/* argv starts at the verb ("logs" / "gc"); g->ctx.base.state_root is resolved. */
int bottle_logs_main(struct globals *g, int argc, char **argv);
int bottle_gc_main(struct globals *g, int argc, char **argv);

#endif

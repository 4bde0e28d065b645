/* `bottle policy`: a bottled container's egress allowlist, shown or changed while it runs. */
#ifndef BOTTLE_VERB_POLICY_H
#define BOTTLE_VERB_POLICY_H

#include "runtime/cli/cli.h"

/* argv starts at "policy". */
int verb_policy(struct globals *g, int argc, char **argv);

#endif

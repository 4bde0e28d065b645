/* OCI hooks (§9.4): path exec'd with argv = args exactly (args[0] may differ
 * from path: docker's libnetwork-setkey depends on it), env = hook env (or
 * ours), the state JSON on stdin followed by EOF, stdout/stderr captured and
 * reported on failure, timeout in seconds. */
#ifndef BOTTLE_HOOKS_H
#define BOTTLE_HOOKS_H

#include <cJSON.h>
#include "runtime/lib/error.h"

/* Runs config.hooks.<kind> in order; stops at the first failure. */
int hooks_run(const cJSON *config, const char *kind, const char *state_json, bottle_error_t *err);
/* Hook state: {"ociVersion","id","status","pid","bundle","annotations"}. */
char *hooks_state_json(const cJSON *config, const char *id, const char *status, int pid,
                       const char *bundle);

#endif

/* One function per subcommand; each parses its own flags (after the verb)
 * and returns the process exit code. */
#ifndef BOTTLE_VERBS_H
#define BOTTLE_VERBS_H

#include "runtime/cli/cli.h"
#include "runtime/lib/error.h"

int verb_create(struct globals *g, int argc, char **argv);
int verb_start(struct globals *g, int argc, char **argv);
int verb_run(struct globals *g, int argc, char **argv);
int verb_state(struct globals *g, int argc, char **argv);
int verb_kill(struct globals *g, int argc, char **argv);
int verb_delete(struct globals *g, int argc, char **argv);
int verb_list(struct globals *g, int argc, char **argv);
int verb_ps(struct globals *g, int argc, char **argv);
int verb_exec(struct globals *g, int argc, char **argv);
int verb_features(struct globals *g, int argc, char **argv);
int verb_spec(struct globals *g, int argc, char **argv);
int verb_events(struct globals *g, int argc, char **argv);
int verb_pause(struct globals *g, int argc, char **argv);
int verb_resume(struct globals *g, int argc, char **argv);
int verb_update(struct globals *g, int argc, char **argv);
int verb_checkpoint(struct globals *g, int argc, char **argv);

/* Shared by verbs: reports err via log_fatal (with an optional prefix),
 * frees it and returns code. */
int verb_fail(bottle_error_t *err, const char *prefix, int code);

#endif

/* The egress policy of a running bottle: `bottle policy ID` shows its allowlist with where each
 * host came from, and `bottle policy ID --allow HOST --deny HOST` changes it without touching the
 * agent: the pipelock YAML in the sidecar's overlay is replaced (write, then rename in the same
 * directory), pipelock reloads it (it watches the directory, and gets SIGHUP), the policy is kept
 * in the bottle's state (<root>/.bottle/<id>/policy.json: a sidecar YAML made again is made from
 * it) and an audit line goes to the sidecar's log, which `bottle logs` reads. */
#ifndef BOTTLE_LIVE_POLICY_H
#define BOTTLE_LIVE_POLICY_H

#include <stdbool.h>
#include <stdio.h>
#include "runtime/bottle/context.h"
#include "runtime/lib/error.h"

struct live_policy_change {
  bool allow; /* else deny */
  const char *host;
};

/* Prints id's allowlist, one host a line with its origins. id may be a pod member: its pod's
 * bottle is shown. */
int live_policy_show(const struct bottle_context *ctx, const char *id, FILE *out,
                     bottle_error_t *err);

/* Applies the changes in order, all or none: a host that does not validate, a deny of a host not
 * listed, a deny of the last host, a plain container or a stopped sidecar change nothing. */
int live_policy_change(const struct bottle_context *ctx, const char *id,
                       const struct live_policy_change *changes, size_t n, bottle_error_t *err);

#endif

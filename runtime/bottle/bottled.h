/* A bottled container: the agent plus its pipelock sidecar and the network
 * topology that leaves the sidecar's proxy as the agent's only way out
 * (docs/design.md). create decides between plain and bottled from the
 * runtime config, annotations and env (config/), and composes netns/ and the
 * container library for the bottled case.
 *
 * Everything a bottle makes besides the agent's own state lives under
 * <root>/.bottle/<id>/ (record.json, the sidecar's container state, its
 * overlay, its log, the topology records), so delete --force finds it from
 * any partial state, even when the agent's state was never written. */
#ifndef BOTTLE_BOTTLED_H
#define BOTTLE_BOTTLED_H

#include <stdbool.h>
#include <cJSON.h>
#include "runtime/bottle/context.h"
#include "runtime/container/container.h"
#include "runtime/lib/error.h"

#define BOTTLED_DIR ".bottle"

struct bottled_overrides {
  const char *profile;   /* bottle-run --profile */
  char *const *allow;    /* bottle-run --allow, NULL-terminated */
  bool print_plan;       /* bottle-run: print the plan before creating */
  bool dry_run;          /* print the plan, create nothing */
  bool (*confirm)(void); /* asked after the plan, before anything is created; NULL = yes */
};

/* The two kinds of bottled create that bottle_create (runtime/bottle/bottle.h) chooses between,
 * once config.json is loaded and the policy resolved: a new bottle for the container (its
 * network, sidecar and agent), or the container joining an existing bottle as a member (j names
 * it: runtime/bottle/pod.h). Both take config (freed, or handed to the container). */
struct bottle_config;
struct bottle_policy;
struct pod_join;
int bottled_create_new(const struct bottle_context *ctx, struct create_opts *o, cJSON *config,
                       const struct bottle_config *cfg, const struct bottle_policy *pol,
                       struct container **out, bottle_error_t *err);
int bottled_join(const struct bottle_context *ctx, struct create_opts *o, cJSON *config,
                 const struct bottle_config *cfg, const struct pod_join *j, struct container **out,
                 bottle_error_t *err);

/* The bottle's part of a delete (bottle_delete, runtime/bottle/bottle.h, calls it after the
 * container's): removes the sidecar, the topology, the overlay and <root>/.bottle/<id>.
 * Idempotent; a container that was never bottled has nothing to remove. */
int bottled_destroy(const struct bottle_context *ctx, const char *id, bottle_error_t *err);

/* exec into a bottled container: the process gets the proxy environment and loses
 * CAP_NET_RAW/CAP_NET_ADMIN, like the agent. No-op for a plain container. */
void bottled_adjust_exec_process(const struct container *c, cJSON *process);

/* "running", "stopped" or NULL (plain): whether the sidecar still runs (for a container that
 * joined a bottle, that bottle's). */
const char *bottled_sidecar_status(const struct bottle_context *ctx, const char *id);

/* The sidecar's log path for `bottle logs` (for a container that joined a bottle, that
 * bottle's). */
char *bottled_log_path(const struct bottle_context *ctx, const char *id);

#endif

/* The bottle's network as runtime/ drives it: netns/ work in a child process, so that the
 * network's build overlaps the sidecar's creation and its teardown the sidecar's stop, and
 * netns/ errors as runtime errors. */
#ifndef BOTTLE_BOTTLED_NET_H
#define BOTTLE_BOTTLED_NET_H

#include <sys/types.h>

#include <cJSON.h>

#include "netns/netns.h"
#include "runtime/lib/error.h"

struct netns_child {
  pid_t pid; /* -1: none */
  int rfd;
};
#define NETNS_CHILD_NONE                                                                           \
  {                                                                                                \
    .pid = -1, .rfd = -1                                                                           \
  }

typedef int (*netns_child_fn)(const void *arg, bottle_error_t *err);
typedef void (*netns_child_then_fn)(const void *arg);

/* Runs fn(arg) in a child that dies with the caller, then, once fn's result is reported,
 * then(arg) unless it is NULL (work nobody waits for). -1 (and no child) when none could be
 * made: the caller then runs fn itself. */
int netns_child_start(struct netns_child *c, netns_child_fn fn, netns_child_then_fn then,
                      const void *arg);
/* fn's result: 0, or -1 with err (NULL: discarded). Waits for the result, not for the child's
 * exit (see bottled_net.c). No-op returning 0 when no child runs. */
int netns_child_result(struct netns_child *c, bottle_error_t *err);
/* For __attribute__((cleanup)): collects a result nobody asked for, so that no child still
 * works on the network when the caller goes on to tear it down. */
void netns_child_settle(struct netns_child *c);

/* With an engine that configures the network from a prestart hook (Docker's
 * libnetwork-setkey), the hook is given a process of ours that holds the sidecar netns,
 * so that it can run while the sidecar's container is being made. */
struct engine_hooks_job {
  const cJSON *config; /* the agent's: its hooks.prestart */
  const char *id, *bundle;
  const char *netns; /* the sidecar netns to hand to the hooks */
};
/* A netns_child_fn: runs the prestart hooks against a holder process in job->netns. */
int engine_hooks_run(const void *job, bottle_error_t *err);

#endif

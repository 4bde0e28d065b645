/* The pid namespace of a bottled agent: its own, or refused. An agent that shares a pid
 * namespace sees the processes in it, its sidecar's among them (the host's, docker --pid
 * host; another container's, --pid container:X), and a root agent then passes the ptrace
 * access check on the proxy's /proc/<pid>/mem. A pod's agents may share the pid namespace of the
 * pod's first agent (its sandbox), which holds no sidecar. */
#ifndef BOTTLE_BOTTLED_PIDNS_H
#define BOTTLE_BOTTLED_PIDNS_H

#include <cJSON.h>
#include "runtime/lib/error.h"

/* 0 when config's linux.namespaces gives the agent a new pid namespace, or, for a member of a
 * pod's bottle, joins pod_pid_ns (the pid namespace of the bottle's agent: a pod's shared process
 * namespace; NULL for none); otherwise one line naming linux.namespaces, why and the fix. */
int bottled_check_pid_namespace(const cJSON *config, const char *pod_pid_ns, bottle_error_t *err);

#endif

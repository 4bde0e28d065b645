/* The namespaces of a bottled agent: its own, or its bottle's. An agent that shares a pid
 * namespace sees the processes in it, its sidecar's among them (the host's, docker --pid
 * host; another container's, --pid container:X), and a root agent then passes the ptrace
 * access check on the proxy's /proc/<pid>/mem. One that joins its sidecar's mount namespace
 * sees, and may rewrite, the pipelock config that pipelock reloads on change; its ipc or user
 * namespace, what the proxy keeps there. A pod's agents may join the namespaces of the pod's
 * first agent (its sandbox), which holds no sidecar. The network namespace has its own rules
 * (bottled.c, pod.c). */
#ifndef BOTTLE_BOTTLED_NAMESPACES_H
#define BOTTLE_BOTTLED_NAMESPACES_H

#include <cJSON.h>
#include "runtime/lib/error.h"

/* 0 when config's linux.namespaces gives the agent a new pid namespace and joins no ipc, uts,
 * mount, user, cgroup or time namespace by path, or, for a member of a pod's bottle, joins only
 * namespaces of pod_ns_dir (/proc/<the bottle's agent>/ns; NULL for none), whose paths it then
 * replaces by pod_ns_dir's own (what is joined is what was judged); otherwise one line naming
 * linux.namespaces, why and the fix. */
int bottled_check_namespaces(cJSON *config, const char *pod_ns_dir, bottle_error_t *err);

#endif

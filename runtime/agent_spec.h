/* What a bottled agent's config.json gets on top of what the engine asked for, and what it
 * may not ask for: plain cJSON edits, shared by create and exec (runtime/bottled.c). */
#ifndef BOTTLE_AGENT_SPEC_H
#define BOTTLE_AGENT_SPEC_H

#include <cJSON.h>
#include "runtime/error.h"

/* Refuses linux.sysctl entries that would switch IPv6 or routing back on in the agent. */
int agent_check_sysctls(const cJSON *config, bottle_error_t *err);
/* /proc/sys read-only even when the bundle does not ask for it. */
void agent_readonly_proc_sys(cJSON *config);
/* The agent joins its own netns (linux.namespaces network path). */
void agent_set_netns(cJSON *config, const char *path);
/* CAP_NET_RAW and CAP_NET_ADMIN out of every capability set of process. */
void agent_drop_net_caps(cJSON *process);

/* ["HTTP_PROXY=http://ip:port", ..., "NO_PROXY=localhost,127.0.0.1,::1", ...] */
cJSON *agent_proxy_env(const char *ip, unsigned port);
/* Sets key=value in an env array, replacing an earlier value of key. */
void agent_set_env(cJSON *env, const char *key, const char *value);
/* Sets every "K=V" of extra in process.env, replacing what the image set. */
void agent_add_env(cJSON *process, const cJSON *extra);

#endif

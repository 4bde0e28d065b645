/* What a bottled agent's config.json gets on top of what the engine asked for, and what it
 * may not ask for: plain cJSON edits, shared by create and exec (runtime/bottle/bottled.c). */
#ifndef BOTTLE_AGENT_SPEC_H
#define BOTTLE_AGENT_SPEC_H

#include <stdbool.h>
#include <cJSON.h>
#include "config/policy.h"
#include "runtime/lib/error.h"

/* What bottle.json's agent.* granted that would otherwise be refused, for the plan and the log:
 * a ", "-separated malloc'd list ("CAP_SYS_PTRACE (agent.allow_capabilities), ..."), or NULL. */
struct agent_grants {
  char *list;
};
void agent_grants_free(struct agent_grants *g);

/* Refuses (one line naming the item and the agent.* opt-in) what lets a bottled agent leave its
 * bottle unless cfg->agent allows it: the capabilities of cfg_agent_refused_caps in any set, host
 * block and memory devices (linux.devices, device cgroup rules), /proc without the masks Docker,
 * containerd and podman all apply, a second proc mount, sysfs or cgroupfs mounted writable;
 * and (with no opt-in) a cgroupsPath in a bottle's sidecar cgroup. docs/security.md has the
 * table. */
int agent_check_privileges(const cJSON *config, const struct bottle_config *cfg,
                           struct agent_grants *granted, bottle_error_t *err);
/* Refuses bind mounts whose source (judged by realpath and stat, not spelling) is the host's root,
 * an engine's API socket or a directory holding one, an nsfs file or a directory holding netns
 * mounts, or the host's /proc, unless agent.allow_mounts names it; writable binds of sysfs or
 * cgroupfs unless agent.allow_writable_sys. Relative sources are taken from the cwd (the bundle).
 */
int agent_check_mounts(const cJSON *config, const struct bottle_config *cfg,
                       struct agent_grants *granted, bottle_error_t *err);
/* Shared by agent_spec.c and agent_mounts.c. */
void agent_grant(struct agent_grants *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool agent_knob_fs(const char *type);
bool agent_mount_readonly(const cJSON *mount, bool *recursive);

/* The agent's bounding set, for the record: exec may not add capabilities beyond it (docker exec
 * --privileged). */
cJSON *agent_bounding(const cJSON *process);
/* Removes from every capability set of an exec'd process what bounding does not hold. */
void agent_limit_exec_caps(cJSON *process, const cJSON *bounding);

/* Refuses linux.sysctl entries that would switch IPv6 or routing back on in the agent. */
int agent_check_sysctls(const cJSON *config, bottle_error_t *err);
/* /proc/sys read-only even when the bundle does not ask for it. */
void agent_readonly_proc_sys(cJSON *config);
/* The agent joins its own netns (linux.namespaces network path). */
void agent_set_netns(cJSON *config, const char *path);
/* CAP_NET_RAW, CAP_NET_ADMIN and CAP_WAKE_ALARM out of every capability set of process. */
void agent_drop_caps(cJSON *process);

/* ["HTTP_PROXY=http://ip:port", ..., "NO_PROXY=localhost,127.0.0.1,::1", ...] */
cJSON *agent_proxy_env(const char *ip, unsigned port);
/* Sets key=value in an env array, replacing an earlier value of key. */
void agent_set_env(cJSON *env, const char *key, const char *value);
/* Sets every "K=V" of extra in process.env, replacing what the image set. */
void agent_add_env(cJSON *process, const cJSON *extra);

#endif

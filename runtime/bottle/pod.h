/* Pods and joined containers: a container that joins the network namespace of a bottled
 * container joins its bottle (docs/design.md, "pods and joined containers").
 *
 * A pod's containers tell what they are by annotations (containerd's CRI:
 * io.kubernetes.cri.container-type / io.kubernetes.cri.sandbox-id; CRI-O's
 * io.kubernetes.cri-o.ContainerType / io.kubernetes.cri-o.SandboxID), which the pod's author
 * can lie about; what decides is the network namespace a container names, compared by device
 * and inode with the agent netns of each bottle under the root. A member of a bottle gets that
 * bottle's proxy environment and the agent's hardening, no sidecar and no link of its own; its
 * delete removes only itself, the bottle belongs to the container that made it (the sandbox). */
#ifndef BOTTLE_POD_H
#define BOTTLE_POD_H

#include <stdbool.h>
#include <cJSON.h>
#include "config/policy.h"
#include "runtime/bottle/context.h"
#include "runtime/lib/error.h"

struct pod_join {
  char *bottle;     /* the bottle to join (its creator's id), or NULL */
  cJSON *record;    /* that bottle's record.json */
  char *plain_pod;  /* the container belongs to a plain pod (its sandbox's id), or NULL */
  char *sandbox_id; /* the pod named by annotation, NULL when none */
};
void pod_join_free(struct pod_join *j);

/* Reads config's pod annotations and network namespace: fills j with the bottle the container
 * joins, or the plain pod it belongs to, or neither (a container of its own: today's create).
 * Refuses (one line) a pod sandbox that names a bottle's agent netns, an app container whose
 * network path is not the agent netns of the pod its annotation names (or names another
 * bottle's), and an app container of a bottled pod with a network of its own. */
int pod_find_join(const struct bottle_context *ctx, const cJSON *config, struct pod_join *j,
                  bottle_error_t *err);

/* The member's policy against its pod's: a member that carries no bottle.* annotation and no
 * BOTTLE_* env takes the pod's; one that does must resolve to the pod's mode (bottled: pod_mode
 * true) and, in a bottled pod, the same policy (fingerprint). One line naming the pod. */
int pod_check_policy(const struct pod_join *j, const cJSON *config, const struct bottle_policy *pol,
                     bool pod_bottled, bottle_error_t *err);

/* The record field pod_check_policy compares: a hash of pol's pipelock config. malloc'd. */
char *pod_policy_fingerprint(const struct bottle_policy *pol, unsigned port);

/* The namespaces of the bottle's creator (/proc/<its init>/ns, malloc'd) while its init runs,
 * else NULL: the ones a member may join besides the network's (a pod's ipc and uts, and its pid
 * namespace with shareProcessNamespace). */
char *pod_creator_ns_dir(const struct bottle_context *ctx, const char *bottle);

/* Whether a container of bottle (other than the bottle's creator) is running, by the members'
 * state under ctx->base.state_root. */
bool pod_has_running_members(const struct bottle_context *ctx, const char *bottle);

#endif

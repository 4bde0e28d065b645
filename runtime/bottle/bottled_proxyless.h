/* network.proxyless (issue 14): tools that ignore HTTP_PROXY still get out, through pipelock.
 *
 * The sidecar's entrypoint becomes bottle-egress (runtime/helpers/bottle_egress.c), a private
 * copy of which is bind-mounted read-only into the sidecar at BOTTLED_EGRESS_HELPER: it starts
 * pipelock as its child and serves, on the sidecar's link address, the agent's resolver (an
 * allowed name resolves to that address, any other is NXDOMAIN; nothing is ever forwarded) and
 * a redirector that hands each connection to pipelock by its TLS SNI or HTTP Host. The agent's
 * /etc/resolv.conf is a read-only mount naming that address. The sidecar's filter (netns/)
 * DNATs 53 and the redirected ports to the helpers' own ports. The proxy env stays set. */
#ifndef BOTTLE_BOTTLED_PROXYLESS_H
#define BOTTLE_BOTTLED_PROXYLESS_H

#include <cJSON.h>
#include "config/policy.h"
#include "netns/netns.h"
#include "runtime/lib/error.h"

#define BOTTLED_EGRESS_HELPER "/.bottle-egress"
/* Overrides where the runtime takes bottle-egress from (tests run it from the build dir). */
#define BOTTLED_EGRESS_HELPER_ENV "BOTTLE_EGRESS_HELPER"

/* What the network build needs: off unless cfg->proxyless. */
struct netns_proxyless proxyless_netns(const struct bottle_config *cfg);

/* Copies bottle-egress into dir; *copy gets the path for the sidecar's mount. */
int proxyless_helper(const char *dir, char **copy, bottle_error_t *err);

/* argv run under bottle-egress listening on ip (pipelock on ip:port); malloc'd, NULL-terminated,
 * freed with the same cleanup as argv. */
char **proxyless_argv(char *const *argv, const char *ip, unsigned port);

/* Writes dir/resolv.conf naming ip and mounts it read-only at the agent's /etc/resolv.conf (after
 * any mount the engine asked for there, so it is the one the agent sees). */
int proxyless_agent_resolver(const char *dir, const char *ip, cJSON *config, bottle_error_t *err);

#endif

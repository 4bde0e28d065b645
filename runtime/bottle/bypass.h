/* Bypass telemetry of a bottled container: what its agent sent on its link that the kernel
 * refused below the proxy, per kind (netns_bypass_counts), for `bottle state` and `bottle logs`
 * (docs/security.md, "Bypass telemetry"). */
#ifndef BOTTLE_BYPASS_H
#define BOTTLE_BYPASS_H

#include <cjson/cJSON.h>

#include "runtime/lib/error.h"
#include "runtime/container/container.h"

/* {"tcp": N, "udp": N, "dns": N, "icmp": N, "other": N}, packets refused so far; NULL with err
 * when c is not bottled or its bottle's counters cannot be read (gone, or not root). */
cJSON *bypass_counts_json(const struct container *c, bottle_error_t *err);
/* What a kind of bypass_counts_json counts, for people: "TCP to a port but the proxy's", ... */
const char *bypass_kind_meaning(const char *kind);

#endif

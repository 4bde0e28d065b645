#include "runtime/container/container.h"
#include "runtime/bottle/bypass.h"

#include "netns/netns.h"
#include "runtime/lib/util.h"

#include <string.h>

const char *bypass_kind_meaning(const char *kind)
{
  static const char *const meaning[NETNS_BYPASS_KINDS] = {
      "TCP to a port but the proxy's", "UDP to a port but 53", "DNS to a resolver of its own",
      "ICMP", "another protocol"};
  for (int k = 0; k < NETNS_BYPASS_KINDS; k++)
    if (strcmp(kind, netns_bypass_kinds[k]) == 0)
      return meaning[k];
  return "?";
}

cJSON *bypass_counts_json(const struct container *c, bottle_error_t *err)
{
  /* A pod member's record names its sandbox's netns: the bottle it shares. */
  const char *name = c->bottle != NULL ? json_str(c->bottle, "netns", NULL) : NULL;
  if (name == NULL) {
    berr(err, 0, "container %s is not bottled", c->id);
    return NULL;
  }
  struct netns_topology topo;
  bottle_error_t ne = {0};
  unsigned long long counts[NETNS_BYPASS_KINDS];
  if (netns_load(NULL, name, &topo, &ne) < 0 || netns_bypass_counts(&topo, counts, &ne) < 0) {
    berr_pass(err, &ne);
    return NULL;
  }
  cJSON *j = cJSON_CreateObject();
  for (int k = 0; k < NETNS_BYPASS_KINDS; k++)
    cJSON_AddNumberToObject(j, netns_bypass_kinds[k], (double)counts[k]);
  return j;
}

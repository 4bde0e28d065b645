#include "netns/internal.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int netns_check_agent(const struct netns_topology *t, int *eth_ifindex, struct nn_error *err)
{
  int fd = nn_netns_open(t->agent_netns, err);
  if (fd < 0)
    return -1;
  int saved = nn_enter(fd, err);
  close(fd);
  if (saved < 0)
    return -1;
  struct if_nameindex *ifs = if_nameindex();
  int e = errno;
  nn_leave(saved);
  if (ifs == NULL)
    return nn_fail(err, e, "agent netns: list its links");
  int rc = 0, found = 0;
  for (struct if_nameindex *p = ifs; p->if_index != 0; p++) {
    if (strcmp(p->if_name, "lo") == 0)
      continue;
    if (strcmp(p->if_name, t->agent_ifname) == 0 &&
        (*eth_ifindex == 0 || (int)p->if_index == *eth_ifindex)) {
      found = (int)p->if_index;
      continue;
    }
    rc = nn_fail(err, 0,
                 "agent netns: link %s is not bottle's (a hook of the container added or replaced "
                 "it), and the sidecar must be the agent's only way out: remove that hook or set "
                 "bottle.mode=plain",
                 p->if_name);
    err->errnum = EPERM;
    break;
  }
  if_freenameindex(ifs);
  if (rc == 0 && found == 0)
    rc = nn_fail(err, ENODEV, "agent netns: its link %s is gone", t->agent_ifname);
  if (rc == 0)
    *eth_ifindex = found;
  return rc;
}

#include "netns/internal.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <unistd.h>

static int nl_err(bottle_error_t *err, int nlerr, const char *what, const char *obj)
{
  /* libnl maps kernel errnos onto its own codes; keep the errno callers test for. */
  int e = EIO;
  switch (-nlerr) {
  case NLE_EXIST:
    e = EEXIST;
    break;
  case NLE_OBJ_NOTFOUND:
    e = ENOENT;
    break;
  case NLE_NODEV:
    e = ENODEV;
    break;
  case NLE_PERM:
    e = EPERM;
    break;
  case NLE_NOADDR:
    e = EADDRNOTAVAIL;
    break;
  case NLE_INVAL:
    e = EINVAL;
    break;
  case NLE_BUSY:
    e = EBUSY;
    break;
  default:
    break;
  }
  berr(err, 0, "%s %s: %s", what, obj, nl_geterror(nlerr));
  err->errnum = e;
  return -1;
}

struct nl_sock *nn_rtnl_open(int nsfd, bottle_error_t *err)
{
  int saved = -1;
  if (nsfd >= 0 && (saved = nn_enter(nsfd, err)) < 0)
    return NULL;
  struct nl_sock *sk = nl_socket_alloc();
  int rc = sk == NULL ? -NLE_NOMEM : nl_connect(sk, NETLINK_ROUTE);
  if (saved >= 0)
    nn_leave(saved);
  if (rc < 0) {
    nl_socket_free(sk);
    nl_err(err, rc, "netlink", "connect");
    return NULL;
  }
  return sk;
}

void nn_rtnl_close(struct nl_sock *sk)
{
  if (sk != NULL)
    nl_socket_free(sk);
}

int nn_veth_create(struct nl_sock *sk, const char *name, int ns, const char *peer, int peer_ns,
                   bottle_error_t *err)
{
  struct rtnl_link *link = rtnl_link_veth_alloc();
  if (link == NULL)
    return berr(err, ENOMEM, "veth %s", name);
  struct rtnl_link *other = rtnl_link_veth_get_peer(link);
  rtnl_link_set_name(link, name);
  rtnl_link_set_name(other, peer);
  /* Both ends are created directly in their netns, so no name ever appears on the host
   * for a moment and the name checks happen where the names live. */
  if (ns >= 0)
    rtnl_link_set_ns_fd(link, ns);
  if (peer_ns >= 0)
    rtnl_link_set_ns_fd(other, peer_ns);
  int rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_put(other);
  rtnl_link_veth_release(link);
  if (rc < 0)
    return nl_err(err, rc, "create veth", name);
  return 0;
}

static int ifindex_of(struct nl_sock *sk, const char *name, bottle_error_t *err)
{
  struct rtnl_link *link = NULL;
  int rc = rtnl_link_get_kernel(sk, 0, name, &link);
  if (rc < 0)
    return nl_err(err, rc, "find link", name);
  int idx = rtnl_link_get_ifindex(link);
  rtnl_link_put(link);
  return idx;
}

static int link_set_up(struct nl_sock *sk, const char *name, bool up, int *ifindex,
                       bottle_error_t *err)
{
  struct rtnl_link *link = NULL;
  int rc = rtnl_link_get_kernel(sk, 0, name, &link);
  if (rc < 0)
    return nl_err(err, rc, "find link", name);
  if (ifindex != NULL)
    *ifindex = rtnl_link_get_ifindex(link);
  struct rtnl_link *change = rtnl_link_alloc();
  if (up)
    rtnl_link_set_flags(change, IFF_UP);
  else
    rtnl_link_unset_flags(change, IFF_UP);
  rc = rtnl_link_change(sk, link, change, 0);
  rtnl_link_put(change);
  rtnl_link_put(link);
  if (rc < 0)
    return nl_err(err, rc, up ? "set up" : "set down", name);
  return 0;
}

int nn_link_up(struct nl_sock *sk, const char *name, bottle_error_t *err)
{
  return link_set_up(sk, name, true, NULL, err);
}

int nn_link_down(struct nl_sock *sk, const char *name, int *ifindex, bottle_error_t *err)
{
  *ifindex = 0;
  if (link_set_up(sk, name, false, ifindex, err) < 0) {
    if (err->errnum != ENODEV && err->errnum != ENOENT)
      return -1;
    berr_clear(err); /* already gone */
  }
  return 0;
}

int nn_link_delete(struct nl_sock *sk, int ifindex, bottle_error_t *err)
{
  struct rtnl_link *link = rtnl_link_alloc();
  if (link == NULL)
    return berr(err, ENOMEM, "delete link %d", ifindex);
  rtnl_link_set_ifindex(link, ifindex);
  int rc = rtnl_link_delete(sk, link);
  rtnl_link_put(link);
  if (rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND) {
    char obj[16];
    snprintf(obj, sizeof(obj), "%d", ifindex);
    return nl_err(err, rc, "delete link", obj);
  }
  return 0;
}

static struct nl_addr *ip4(uint32_t ip, int prefix)
{
  uint32_t be = htonl(ip);
  struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));
  if (a != NULL)
    nl_addr_set_prefixlen(a, prefix);
  return a;
}

int nn_addr_add(struct nl_sock *sk, const char *ifname, uint32_t ip, int prefix,
                bottle_error_t *err)
{
  int idx = ifindex_of(sk, ifname, err);
  if (idx < 0)
    return -1;
  struct rtnl_addr *addr = rtnl_addr_alloc();
  struct nl_addr *local = ip4(ip, prefix);
  if (addr == NULL || local == NULL) {
    rtnl_addr_put(addr);
    nl_addr_put(local);
    return berr(err, ENOMEM, "address on %s", ifname);
  }
  rtnl_addr_set_ifindex(addr, idx);
  rtnl_addr_set_local(addr, local);
  int rc = rtnl_addr_add(sk, addr, 0);
  nl_addr_put(local);
  rtnl_addr_put(addr);
  if (rc < 0)
    return nl_err(err, rc, "add address on", ifname);
  return 0;
}

int nn_default_route_add(struct nl_sock *sk, const char *ifname, uint32_t gw, bottle_error_t *err)
{
  int idx = ifindex_of(sk, ifname, err);
  if (idx < 0)
    return -1;
  struct rtnl_route *route = rtnl_route_alloc();
  struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
  struct nl_addr *dst = ip4(0, 0);
  struct nl_addr *via = ip4(gw, 32);
  if (route == NULL || nh == NULL || dst == NULL || via == NULL) {
    rtnl_route_put(route);
    rtnl_route_nh_free(nh);
    nl_addr_put(dst);
    nl_addr_put(via);
    return berr(err, ENOMEM, "default route via %s", ifname);
  }
  rtnl_route_set_family(route, AF_INET);
  rtnl_route_set_dst(route, dst);
  rtnl_route_nh_set_ifindex(nh, idx);
  rtnl_route_nh_set_gateway(nh, via);
  rtnl_route_add_nexthop(route, nh);
  int rc = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL);
  nl_addr_put(dst);
  nl_addr_put(via);
  rtnl_route_put(route);
  if (rc < 0)
    return nl_err(err, rc, "add default route via", ifname);
  return 0;
}

static bool overlaps(struct nl_addr *a, struct nn_cidr c)
{
  if (a == NULL || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4)
    return false;
  int prefix = (int)nl_addr_get_prefixlen(a);
  if (prefix == 0)
    return false; /* a default route collides with nothing */
  uint32_t be;
  memcpy(&be, nl_addr_get_binary_addr(a), 4);
  struct nn_cidr other = {.addr = ntohl(be), .prefix = prefix};
  return nn_cidr_overlap(c, other);
}

int nn_subnet_in_use(struct nl_sock *sk, struct nn_cidr c, bool *used, bottle_error_t *err)
{
  *used = false;
  struct nl_cache *addrs = NULL, *routes = NULL;
  int rc = rtnl_addr_alloc_cache(sk, &addrs);
  if (rc < 0)
    return nl_err(err, rc, "list", "addresses");
  for (struct nl_object *o = nl_cache_get_first(addrs); o && !*used; o = nl_cache_get_next(o))
    *used = overlaps(rtnl_addr_get_local((struct rtnl_addr *)o), c);
  nl_cache_free(addrs);
  if (*used)
    return 0;
  rc = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes);
  if (rc < 0)
    return nl_err(err, rc, "list", "routes");
  for (struct nl_object *o = nl_cache_get_first(routes); o && !*used; o = nl_cache_get_next(o)) {
    struct rtnl_route *r = (struct rtnl_route *)o;
    if (rtnl_route_get_table(r) == RT_TABLE_LOCAL)
      continue; /* host and broadcast entries of the addresses checked above */
    *used = overlaps(rtnl_route_get_dst(r), c);
  }
  nl_cache_free(routes);
  return 0;
}

int nn_default_route_devs(struct nl_sock *sk, char (*devs)[IFNAMSIZ], int max, bottle_error_t *err)
{
  struct nl_cache *routes = NULL;
  int rc = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes);
  if (rc < 0)
    return nl_err(err, rc, "list", "routes");
  int n = 0;
  for (struct nl_object *o = nl_cache_get_first(routes); o && n < max; o = nl_cache_get_next(o)) {
    struct rtnl_route *r = (struct rtnl_route *)o;
    struct nl_addr *dst = rtnl_route_get_dst(r);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || (dst && nl_addr_get_prefixlen(dst) != 0))
      continue;
    for (int i = 0; i < rtnl_route_get_nnexthops(r) && n < max; i++) {
      struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, i);
      /* The socket is in the calling thread's netns, so names resolve there. */
      if (nh && if_indextoname((unsigned)rtnl_route_nh_get_ifindex(nh), devs[n]) != NULL)
        n++;
    }
  }
  nl_cache_free(routes);
  return n;
}

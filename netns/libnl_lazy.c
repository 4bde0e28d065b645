/* libnl-3 and libnl-route-3, loaded on first use instead of at exec
 * (netns/lazylib.h). Only netns/rtnl.c (a bottled container's links,
 * addresses and routes) uses them, but libnl-route registers every link and
 * qdisc type in constructors, which each bottle exec paid (twice per run).
 * Linked like nftables_lazy.c: a new libnl call without a wrapper here links
 * the libraries again (slower, still correct). Safe for the same reason: only
 * the runtime process, in the host's mount namespace, makes these calls.
 * libnl-route-3 depends on libnl-3, so one handle finds both. */
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <stddef.h>

#include "netns/lazylib.h"

static struct lazylib nl = {.soname = "libnl-route-3.so.200"};

#define FAIL (-NLE_FAILURE)

LAZYLIB_FN(nl, struct nl_addr *, NULL, nl_addr_build, (int family, const void *buf, size_t size),
           (family, buf, size))
LAZYLIB_FN(nl, void *, NULL, nl_addr_get_binary_addr, (const struct nl_addr *a), (a))
LAZYLIB_FN(nl, int, FAIL, nl_addr_get_family, (const struct nl_addr *a), (a))
LAZYLIB_FN(nl, unsigned int, 0, nl_addr_get_len, (const struct nl_addr *a), (a))
LAZYLIB_FN(nl, unsigned int, 0, nl_addr_get_prefixlen, (const struct nl_addr *a), (a))
LAZYLIB_VOID(nl, nl_addr_put, (struct nl_addr * a), (a))
LAZYLIB_VOID(nl, nl_addr_set_prefixlen, (struct nl_addr * a, int len), (a, len))
LAZYLIB_VOID(nl, nl_cache_free, (struct nl_cache * c), (c))
LAZYLIB_FN(nl, struct nl_object *, NULL, nl_cache_get_first, (struct nl_cache * c), (c))
LAZYLIB_FN(nl, struct nl_object *, NULL, nl_cache_get_next, (struct nl_object * o), (o))
LAZYLIB_FN(nl, int, FAIL, nl_connect, (struct nl_sock * sk, int protocol), (sk, protocol))
LAZYLIB_FN(nl, const char *, "libnl is not available", nl_geterror, (int error), (error))
LAZYLIB_FN(nl, struct nl_sock *, NULL, nl_socket_alloc, (void), ())
LAZYLIB_VOID(nl, nl_socket_free, (struct nl_sock * sk), (sk))

LAZYLIB_FN(nl, int, FAIL, rtnl_addr_add, (struct nl_sock * sk, struct rtnl_addr *a, int flags),
           (sk, a, flags))
LAZYLIB_FN(nl, struct rtnl_addr *, NULL, rtnl_addr_alloc, (void), ())
LAZYLIB_FN(nl, int, FAIL, rtnl_addr_alloc_cache, (struct nl_sock * sk, struct nl_cache **c),
           (sk, c))
LAZYLIB_FN(nl, struct nl_addr *, NULL, rtnl_addr_get_local, (struct rtnl_addr * a), (a))
LAZYLIB_VOID(nl, rtnl_addr_put, (struct rtnl_addr * a), (a))
LAZYLIB_VOID(nl, rtnl_addr_set_ifindex, (struct rtnl_addr * a, int ifindex), (a, ifindex))
LAZYLIB_FN(nl, int, FAIL, rtnl_addr_set_local, (struct rtnl_addr * a, struct nl_addr *local),
           (a, local))

LAZYLIB_FN(nl, int, FAIL, rtnl_link_add, (struct nl_sock * sk, struct rtnl_link *l, int flags),
           (sk, l, flags))
LAZYLIB_FN(nl, struct rtnl_link *, NULL, rtnl_link_alloc, (void), ())
LAZYLIB_FN(nl, int, FAIL, rtnl_link_change,
           (struct nl_sock * sk, struct rtnl_link *orig, struct rtnl_link *changes, int flags),
           (sk, orig, changes, flags))
LAZYLIB_FN(nl, int, FAIL, rtnl_link_delete, (struct nl_sock * sk, const struct rtnl_link *l),
           (sk, l))
LAZYLIB_FN(nl, int, 0, rtnl_link_get_ifindex, (struct rtnl_link * l), (l))
LAZYLIB_FN(nl, int, FAIL, rtnl_link_get_kernel,
           (struct nl_sock * sk, int ifindex, const char *name, struct rtnl_link **out),
           (sk, ifindex, name, out))
LAZYLIB_VOID(nl, rtnl_link_put, (struct rtnl_link * l), (l))
LAZYLIB_VOID(nl, rtnl_link_set_flags, (struct rtnl_link * l, unsigned int flags), (l, flags))
LAZYLIB_VOID(nl, rtnl_link_set_ifindex, (struct rtnl_link * l, int ifindex), (l, ifindex))
LAZYLIB_VOID(nl, rtnl_link_unset_flags, (struct rtnl_link * l, unsigned int flags), (l, flags))
LAZYLIB_VOID(nl, rtnl_link_set_name, (struct rtnl_link * l, const char *name), (l, name))
LAZYLIB_VOID(nl, rtnl_link_set_ns_fd, (struct rtnl_link * l, int fd), (l, fd))
LAZYLIB_FN(nl, struct rtnl_link *, NULL, rtnl_link_veth_alloc, (void), ())
LAZYLIB_FN(nl, struct rtnl_link *, NULL, rtnl_link_veth_get_peer, (struct rtnl_link * l), (l))
LAZYLIB_VOID(nl, rtnl_link_veth_release, (struct rtnl_link * l), (l))

LAZYLIB_FN(nl, int, FAIL, rtnl_route_add, (struct nl_sock * sk, struct rtnl_route *r, int flags),
           (sk, r, flags))
LAZYLIB_VOID(nl, rtnl_route_add_nexthop, (struct rtnl_route * r, struct rtnl_nexthop *nh), (r, nh))
LAZYLIB_FN(nl, struct rtnl_route *, NULL, rtnl_route_alloc, (void), ())
LAZYLIB_FN(nl, int, FAIL, rtnl_route_alloc_cache,
           (struct nl_sock * sk, int family, int flags, struct nl_cache **c),
           (sk, family, flags, c))
LAZYLIB_FN(nl, struct nl_addr *, NULL, rtnl_route_get_dst, (struct rtnl_route * r), (r))
LAZYLIB_FN(nl, int, 0, rtnl_route_get_nnexthops, (struct rtnl_route * r), (r))
LAZYLIB_FN(nl, uint32_t, 0, rtnl_route_get_table, (struct rtnl_route * r), (r))
LAZYLIB_FN(nl, struct rtnl_nexthop *, NULL, rtnl_route_nexthop_n, (struct rtnl_route * r, int n),
           (r, n))
LAZYLIB_FN(nl, struct rtnl_nexthop *, NULL, rtnl_route_nh_alloc, (void), ())
LAZYLIB_VOID(nl, rtnl_route_nh_free, (struct rtnl_nexthop * nh), (nh))
LAZYLIB_FN(nl, int, 0, rtnl_route_nh_get_ifindex, (struct rtnl_nexthop * nh), (nh))
LAZYLIB_VOID(nl, rtnl_route_nh_set_gateway, (struct rtnl_nexthop * nh, struct nl_addr *gw),
             (nh, gw))
LAZYLIB_VOID(nl, rtnl_route_nh_set_ifindex, (struct rtnl_nexthop * nh, int ifindex), (nh, ifindex))
LAZYLIB_VOID(nl, rtnl_route_put, (struct rtnl_route * r), (r))
LAZYLIB_FN(nl, int, FAIL, rtnl_route_set_dst, (struct rtnl_route * r, struct nl_addr *dst),
           (r, dst))
LAZYLIB_FN(nl, int, FAIL, rtnl_route_set_family, (struct rtnl_route * r, uint8_t family),
           (r, family))

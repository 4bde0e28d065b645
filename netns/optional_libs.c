/* libnl-route-3 and libnftables, loaded with dlopen when a bottled network first needs them
 * instead of being linked: bottle re-execs itself from a sealed memfd for every create, run and
 * exec, so each linked library is mapped and initialised twice per run, plain containers
 * included (libnftables with nftnl, mnl, xtables, gmp and jansson: about 0.7 ms of CPU per exec;
 * libnl-route, whose constructors register every link and qdisc type: 0.15 ms; see
 * docs/runtime.md). Neither library is on the link line (Makefile): the functions defined here,
 * named like the libraries' own, are the only definitions, so the rest of netns/ calls libnl and
 * libnftables as usual, and a call to a function missing from these tables fails the link.
 *
 * A table is resolved whole by nn_lib_load: every symbol or none, so no call can quietly do
 * nothing. A missing library or symbol is an error that carries the loader's own message
 * (dlerror), which also crosses the pipe of the runtime's netns child. The entry points of
 * netns/ load what they use before their first call; a call into a table that is not loaded
 * loads it, and aborts when that fails (fail closed: it has no error to return).
 *
 * Only the runtime process loads them, in the host's mount namespace (a bottled network's set-up,
 * checks and teardown, never a container's init), so a container's rootfs never supplies the
 * library. */
#include "netns/internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Every function netns/ calls: FN(return type, name, parameters, arguments) or
 * VOID(name, parameters, arguments). The prototypes are checked against the libraries' headers.
 * libnl-route-3 depends on libnl-3, so its handle finds the nl_* functions too. */
#define LIBNL_TABLE(FN, VOID)                                                                      \
  FN(struct nl_addr *, nl_addr_build, (int family, const void *buf, size_t size),                  \
     (family, buf, size))                                                                          \
  FN(void *, nl_addr_get_binary_addr, (const struct nl_addr *a), (a))                              \
  FN(int, nl_addr_get_family, (const struct nl_addr *a), (a))                                      \
  FN(unsigned int, nl_addr_get_len, (const struct nl_addr *a), (a))                                \
  FN(unsigned int, nl_addr_get_prefixlen, (const struct nl_addr *a), (a))                          \
  VOID(nl_addr_put, (struct nl_addr * a), (a))                                                     \
  VOID(nl_addr_set_prefixlen, (struct nl_addr * a, int len), (a, len))                             \
  VOID(nl_cache_free, (struct nl_cache * c), (c))                                                  \
  FN(struct nl_object *, nl_cache_get_first, (struct nl_cache * c), (c))                           \
  FN(struct nl_object *, nl_cache_get_next, (struct nl_object * o), (o))                           \
  FN(int, nl_connect, (struct nl_sock * sk, int protocol), (sk, protocol))                         \
  FN(const char *, nl_geterror, (int error), (error))                                              \
  FN(struct nl_sock *, nl_socket_alloc, (void), ())                                                \
  VOID(nl_socket_free, (struct nl_sock * sk), (sk))                                                \
  FN(int, rtnl_addr_add, (struct nl_sock * sk, struct rtnl_addr * a, int flags), (sk, a, flags))   \
  FN(struct rtnl_addr *, rtnl_addr_alloc, (void), ())                                              \
  FN(int, rtnl_addr_alloc_cache, (struct nl_sock * sk, struct nl_cache * *c), (sk, c))             \
  FN(struct nl_addr *, rtnl_addr_get_local, (struct rtnl_addr * a), (a))                           \
  VOID(rtnl_addr_put, (struct rtnl_addr * a), (a))                                                 \
  VOID(rtnl_addr_set_ifindex, (struct rtnl_addr * a, int ifindex), (a, ifindex))                   \
  FN(int, rtnl_addr_set_local, (struct rtnl_addr * a, struct nl_addr * local), (a, local))         \
  FN(int, rtnl_link_add, (struct nl_sock * sk, struct rtnl_link * l, int flags), (sk, l, flags))   \
  FN(struct rtnl_link *, rtnl_link_alloc, (void), ())                                              \
  FN(int, rtnl_link_change,                                                                        \
     (struct nl_sock * sk, struct rtnl_link * orig, struct rtnl_link * changes, int flags),        \
     (sk, orig, changes, flags))                                                                   \
  FN(int, rtnl_link_delete, (struct nl_sock * sk, const struct rtnl_link *l), (sk, l))             \
  FN(int, rtnl_link_get_ifindex, (struct rtnl_link * l), (l))                                      \
  FN(int, rtnl_link_get_kernel,                                                                    \
     (struct nl_sock * sk, int ifindex, const char *name, struct rtnl_link **out),                 \
     (sk, ifindex, name, out))                                                                     \
  VOID(rtnl_link_put, (struct rtnl_link * l), (l))                                                 \
  VOID(rtnl_link_set_flags, (struct rtnl_link * l, unsigned int flags), (l, flags))                \
  VOID(rtnl_link_set_ifindex, (struct rtnl_link * l, int ifindex), (l, ifindex))                   \
  VOID(rtnl_link_unset_flags, (struct rtnl_link * l, unsigned int flags), (l, flags))              \
  VOID(rtnl_link_set_name, (struct rtnl_link * l, const char *name), (l, name))                    \
  VOID(rtnl_link_set_ns_fd, (struct rtnl_link * l, int fd), (l, fd))                               \
  FN(struct rtnl_link *, rtnl_link_veth_alloc, (void), ())                                         \
  FN(struct rtnl_link *, rtnl_link_veth_get_peer, (struct rtnl_link * l), (l))                     \
  VOID(rtnl_link_veth_release, (struct rtnl_link * l), (l))                                        \
  FN(int, rtnl_route_add, (struct nl_sock * sk, struct rtnl_route * r, int flags), (sk, r, flags)) \
  VOID(rtnl_route_add_nexthop, (struct rtnl_route * r, struct rtnl_nexthop * nh), (r, nh))         \
  FN(struct rtnl_route *, rtnl_route_alloc, (void), ())                                            \
  FN(int, rtnl_route_alloc_cache,                                                                  \
     (struct nl_sock * sk, int family, int flags, struct nl_cache **c), (sk, family, flags, c))    \
  FN(struct nl_addr *, rtnl_route_get_dst, (struct rtnl_route * r), (r))                           \
  FN(int, rtnl_route_get_nnexthops, (struct rtnl_route * r), (r))                                  \
  FN(uint32_t, rtnl_route_get_table, (struct rtnl_route * r), (r))                                 \
  FN(struct rtnl_nexthop *, rtnl_route_nexthop_n, (struct rtnl_route * r, int n), (r, n))          \
  FN(struct rtnl_nexthop *, rtnl_route_nh_alloc, (void), ())                                       \
  VOID(rtnl_route_nh_free, (struct rtnl_nexthop * nh), (nh))                                       \
  FN(int, rtnl_route_nh_get_ifindex, (struct rtnl_nexthop * nh), (nh))                             \
  VOID(rtnl_route_nh_set_gateway, (struct rtnl_nexthop * nh, struct nl_addr * gw), (nh, gw))       \
  VOID(rtnl_route_nh_set_ifindex, (struct rtnl_nexthop * nh, int ifindex), (nh, ifindex))          \
  VOID(rtnl_route_put, (struct rtnl_route * r), (r))                                               \
  FN(int, rtnl_route_set_dst, (struct rtnl_route * r, struct nl_addr * dst), (r, dst))             \
  FN(int, rtnl_route_set_family, (struct rtnl_route * r, uint8_t family), (r, family))

#define LIBNFT_TABLE(FN, VOID)                                                                     \
  FN(struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags))                                     \
  VOID(nft_ctx_free, (struct nft_ctx * ctx), (ctx))                                                \
  VOID(nft_ctx_output_set_flags, (struct nft_ctx * ctx, unsigned int flags), (ctx, flags))         \
  FN(int, nft_ctx_buffer_output, (struct nft_ctx * ctx), (ctx))                                    \
  FN(const char *, nft_ctx_get_output_buffer, (struct nft_ctx * ctx), (ctx))                       \
  FN(int, nft_ctx_buffer_error, (struct nft_ctx * ctx), (ctx))                                     \
  FN(const char *, nft_ctx_get_error_buffer, (struct nft_ctx * ctx), (ctx))                        \
  FN(int, nft_run_cmd_from_buffer, (struct nft_ctx * nft, const char *buf), (nft, buf))

#define FIELD(ret, name, params, args) __typeof__(name) *name;
#define VOID_FIELD(name, params, args) FIELD(void, name, params, args)
static struct libnl_fns {
  LIBNL_TABLE(FIELD, VOID_FIELD)
} libnl;
static struct libnft_fns {
  LIBNFT_TABLE(FIELD, VOID_FIELD)
} libnft;

/* Into fns, from handle: 0, or -1 with *missing naming the first symbol not found. */
#define RESOLVE(ret, name, params, args)                                                           \
  if ((fns.name = (__typeof__(fns.name))dlsym(handle, #name)) == NULL) {                           \
    *missing = #name;                                                                              \
    return -1;                                                                                     \
  }
#define VOID_RESOLVE(name, params, args) RESOLVE(void, name, params, args)

static int resolve_libnl(void *handle, const char **missing)
{
  struct libnl_fns fns;
  LIBNL_TABLE(RESOLVE, VOID_RESOLVE)
  libnl = fns;
  return 0;
}

static int resolve_libnft(void *handle, const char **missing)
{
  struct libnft_fns fns;
  LIBNFT_TABLE(RESOLVE, VOID_RESOLVE)
  libnft = fns;
  return 0;
}

struct optional_lib {
  const char *soname;
  const char *package; /* Debian's, for the error */
  const char *file;    /* what dlopen is given: the soname, or a test's (nn_lib_use_file) */
  int (*resolve)(void *handle, const char **missing);
  bool ready; /* the table is complete; read without the lock */
};

static struct optional_lib libs[] = {
    [NN_LIB_NL] = {.soname = "libnl-route-3.so.200",
                   .package = "libnl-route-3-200",
                   .resolve = resolve_libnl},
    [NN_LIB_NFT] = {.soname = "libnftables.so.1",
                    .package = "libnftables1",
                    .resolve = resolve_libnft},
};
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static int load(struct optional_lib *lib, bottle_error_t *err)
{
  const char *file = lib->file ? lib->file : lib->soname;
  void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    berr(err, 0, "cannot load %s (Debian package %s), which bottled networking needs: %s", file,
         lib->package, dlerror());
    err->errnum = ELIBACC;
    return -1;
  }
  const char *missing = NULL;
  if (lib->resolve(handle, &missing) < 0) {
    berr(err, 0,
         "%s has no %s, which bottled networking calls (%s): install the version of %s bottle "
         "was built with",
         file, missing, dlerror(), lib->package);
    err->errnum = ELIBBAD;
    dlclose(handle);
    return -1;
  }
  __atomic_store_n(&lib->ready, true, __ATOMIC_RELEASE);
  return 0;
}

int nn_lib_load(enum nn_lib which, bottle_error_t *err)
{
  struct optional_lib *lib = &libs[which];
  if (__atomic_load_n(&lib->ready, __ATOMIC_ACQUIRE))
    return 0;
  pthread_mutex_lock(&load_lock);
  int rc = lib->ready ? 0 : load(lib, err);
  pthread_mutex_unlock(&load_lock);
  return rc;
}

void nn_lib_use_file(enum nn_lib which, const char *file)
{
  pthread_mutex_lock(&load_lock);
  libs[which].file = file;
  pthread_mutex_unlock(&load_lock);
}

int netns_load_libraries(bottle_error_t *err)
{
  return nn_lib_load(NN_LIB_NL, err) < 0 || nn_lib_load(NN_LIB_NFT, err) < 0 ? -1 : 0;
}

static void require(enum nn_lib which)
{
  if (__atomic_load_n(&libs[which].ready, __ATOMIC_ACQUIRE))
    return;
  bottle_error_t err = {0};
  if (nn_lib_load(which, &err) < 0) {
    fprintf(stderr, "bottle: %s\n", err.msg);
    abort();
  }
}

#define LIBNL_FN(ret, name, params, args)                                                          \
  ret name params                                                                                  \
  {                                                                                                \
    require(NN_LIB_NL);                                                                            \
    return libnl.name args;                                                                        \
  }
#define LIBNL_VOID(name, params, args)                                                             \
  void name params                                                                                 \
  {                                                                                                \
    require(NN_LIB_NL);                                                                            \
    libnl.name args;                                                                               \
  }
LIBNL_TABLE(LIBNL_FN, LIBNL_VOID)

#define LIBNFT_FN(ret, name, params, args)                                                         \
  ret name params                                                                                  \
  {                                                                                                \
    require(NN_LIB_NFT);                                                                           \
    return libnft.name args;                                                                       \
  }
#define LIBNFT_VOID(name, params, args)                                                            \
  void name params                                                                                 \
  {                                                                                                \
    require(NN_LIB_NFT);                                                                           \
    libnft.name args;                                                                              \
  }
LIBNFT_TABLE(LIBNFT_FN, LIBNFT_VOID)

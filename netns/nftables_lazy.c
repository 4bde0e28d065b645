/* libnftables, loaded on first use instead of at exec (netns/lazylib.h).
 *
 * Only a bottled container's network set-up and teardown (netns/firewall.c)
 * use nftables, yet linking the library made the dynamic loader map it and
 * its dependencies (nftnl, mnl, xtables, gmp, jansson) into every bottle
 * process: about 0.7 ms of CPU per exec, paid twice by each `bottle run`. The
 * bottle binary is linked with this file as an object, ahead of the libraries
 * and with --as-needed (Makefile), so these definitions satisfy
 * netns/firewall.c and libnftables is not a dependency; a new nft_* call
 * without a wrapper here links the library again (slower, still correct).
 *
 * Safe because netns_build/netns_teardown run in the runtime process, in the
 * host's mount namespace, never in a container's init. */
#include <nftables/libnftables.h>
#include <stddef.h>

#include "netns/lazylib.h"

static struct lazylib nftables = {.soname = "libnftables.so.1"};

LAZYLIB_FN(nftables, struct nft_ctx *, NULL, nft_ctx_new, (uint32_t flags), (flags))
LAZYLIB_VOID(nftables, nft_ctx_free, (struct nft_ctx * ctx), (ctx))
LAZYLIB_VOID(nftables, nft_ctx_output_set_flags, (struct nft_ctx * ctx, unsigned int flags),
             (ctx, flags))
LAZYLIB_FN(nftables, int, -1, nft_ctx_buffer_output, (struct nft_ctx * ctx), (ctx))
LAZYLIB_FN(nftables, const char *, "", nft_ctx_get_output_buffer, (struct nft_ctx * ctx), (ctx))
LAZYLIB_FN(nftables, int, -1, nft_ctx_buffer_error, (struct nft_ctx * ctx), (ctx))
LAZYLIB_FN(nftables, const char *, "", nft_ctx_get_error_buffer, (struct nft_ctx * ctx), (ctx))
LAZYLIB_FN(nftables, int, -1, nft_run_cmd_from_buffer, (struct nft_ctx * nft, const char *buf),
           (nft, buf))

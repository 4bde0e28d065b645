/* libnftables, loaded on first use instead of at exec.
 *
 * Only a bottled container's network set-up and teardown (netns/firewall.c)
 * use nftables, yet linking the library makes the dynamic loader map it and
 * its dependencies (nftnl, mnl, xtables, gmp, jansson) into every bottle
 * process: about 0.7 ms of CPU per exec, paid twice by each `bottle run`
 * because of the sealed re-exec (selfexe.c). The bottle binary is linked with
 * this file as an object and without -lnftables (see the Makefile), so the
 * calls below satisfy netns/firewall.c; test binaries link the real library.
 *
 * The library is resolved by soname the way the dynamic loader would have at
 * exec. That is only safe in the host's mount namespace and root, which is
 * where netns_build/netns_teardown run (the runtime process, never the
 * container's init); a container rootfs must never be able to supply it. */
#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/log.h"

#define NFTABLES_SONAME "libnftables.so.1"

static void *nftables_symbol(const char *name)
{
  static void *lib;
  static bool failed;
  if (lib == NULL && !failed) {
    lib = dlopen(NFTABLES_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
      failed = true;
      log_msg(LOG_ERROR, "cannot load %s: %s", NFTABLES_SONAME, dlerror());
      return NULL;
    }
  }
  if (lib == NULL)
    return NULL;
  void *fn = dlsym(lib, name);
  if (fn == NULL)
    log_msg(LOG_ERROR, "%s has no %s: %s", NFTABLES_SONAME, name, dlerror());
  return fn;
}

/* Each wrapper looks its function up once; the typed pointer keeps the
 * prototype checked against libnftables.h. */
#define NFT_FN(name)                                                                               \
  static __typeof__(name) *fn_;                                                                    \
  if (fn_ == NULL)                                                                                 \
  fn_ = (__typeof__(name) *)nftables_symbol(#name)

struct nft_ctx *nft_ctx_new(uint32_t flags)
{
  NFT_FN(nft_ctx_new);
  return fn_ ? fn_(flags) : NULL;
}

void nft_ctx_free(struct nft_ctx *ctx)
{
  NFT_FN(nft_ctx_free);
  if (fn_)
    fn_(ctx);
}

void nft_ctx_output_set_flags(struct nft_ctx *ctx, unsigned int flags)
{
  NFT_FN(nft_ctx_output_set_flags);
  if (fn_)
    fn_(ctx, flags);
}

int nft_ctx_buffer_output(struct nft_ctx *ctx)
{
  NFT_FN(nft_ctx_buffer_output);
  return fn_ ? fn_(ctx) : -1;
}

const char *nft_ctx_get_output_buffer(struct nft_ctx *ctx)
{
  NFT_FN(nft_ctx_get_output_buffer);
  return fn_ ? fn_(ctx) : "";
}

int nft_ctx_buffer_error(struct nft_ctx *ctx)
{
  NFT_FN(nft_ctx_buffer_error);
  return fn_ ? fn_(ctx) : -1;
}

const char *nft_ctx_get_error_buffer(struct nft_ctx *ctx)
{
  NFT_FN(nft_ctx_get_error_buffer);
  return fn_ ? fn_(ctx) : "";
}

int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf)
{
  NFT_FN(nft_run_cmd_from_buffer);
  return fn_ ? fn_(nft, buf) : -1;
}

/* netns/optional_libs.c: libnl-route-3 and libnftables are not linked into bottle nor into this
 * test (Makefile, OPTIONAL_PKGS) but loaded on first use, each table of functions whole or not
 * at all. A library that cannot be loaded, or that lacks one of the functions, fails the netns
 * entry points with the loader's own message, also from the runtime's netns child (whose stdio
 * is /dev/null), and a call that skipped the load aborts rather than doing nothing. No root
 * needed: nothing here touches a namespace. */
#include "netns/internal.h"
#include "netns/netns.h"
#include "runtime/bottle/bottled_net.h"
#include "runtime/lib/error.h"

#include <dlfcn.h>
#include <errno.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <nftables/libnftables.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define MISSING "libbottle-test-missing.so.0"
/* State and run dirs no build can make (nothing can be created under /proc): should a build get
 * past the load it must stop there, before touching the host. */
#define NOWHERE "/proc/bottle-test-nowhere"

static bool mapped(const char *soname)
{
  void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
  if (h != NULL)
    dlclose(h);
  return h != NULL;
}

/* Before anything loads them: the test binary does not link them, as bottle does not. */
static void test_not_linked(void)
{
  CHECK(!mapped("libnl-route-3.so.200"));
  CHECK(!mapped("libnftables.so.1"));
}

/* A setter (void: it cannot report) called while libnl cannot load: the process aborts, saying
 * why on stderr, instead of going on with a link it did not configure. */
static void test_call_without_library_aborts(void)
{
  int p[2];
  if (pipe(p) < 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 2);
    nn_lib_use_file(NN_LIB_NL, MISSING);
    rtnl_link_set_flags(NULL, 0);
    _exit(0);
  }
  close(p[1]);
  char out[1024] = "";
  ssize_t n, len = 0;
  while ((n = read(p[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
    len += n;
  close(p[0]);
  out[len] = '\0';
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  CHECK_CONTAINS(out, "bottle: cannot load " MISSING " (Debian package libnl-route-3-200)");
}

static void test_missing_library(void)
{
  bottle_error_t err = {0};
  nn_lib_use_file(NN_LIB_NFT, MISSING);
  CHECK(nn_lib_load(NN_LIB_NFT, &err) < 0 && err.errnum == ELIBACC);
  CHECK_CONTAINS(err.msg, "cannot load " MISSING " (Debian package libnftables1)");
  CHECK_CONTAINS(err.msg, "cannot open shared object file"); /* dlerror's own text */
  CHECK(!mapped("libnftables.so.1"));

  /* the start gate's entry */
  err = (bottle_error_t){0};
  CHECK(netns_load_libraries(&err) < 0);
  CHECK_CONTAINS(err.msg, "cannot load " MISSING);
  /* a build fails before it reads or makes anything */
  struct netns_spec spec = {.name = "unit-libs",
                            .mode = NETNS_MODE_UPLINK,
                            .proxy_port = 8888,
                            .run_dir = NOWHERE "/run",
                            .state_dir = NOWHERE "/netns-state"};
  struct netns_topology t;
  err = (bottle_error_t){0};
  CHECK(netns_build_begin(&spec, &t, &err) < 0 && err.errnum == ELIBACC);
  CHECK_CONTAINS(err.msg, "netns unit-libs: cannot load " MISSING);
  err = (bottle_error_t){0};
  CHECK(netns_build_finish(&spec, &err) < 0 && err.errnum == ELIBACC);
  CHECK_CONTAINS(err.msg, "netns unit-libs: cannot load " MISSING);
}

static int build_finish(const void *spec, bottle_error_t *err)
{
  return netns_build_finish(spec, err);
}

/* The runtime's netns child has /dev/null for stdio: the message must come back in its report. */
static void test_message_crosses_the_netns_child(void)
{
  struct netns_spec spec = {.name = "unit-libs",
                            .mode = NETNS_MODE_UPLINK,
                            .proxy_port = 8888,
                            .run_dir = NOWHERE "/run",
                            .state_dir = NOWHERE "/netns-state"};
  struct netns_child child;
  bottle_error_t err = {0};
  CHECK(netns_child_start(&child, build_finish, NULL, &spec) == 0);
  CHECK(netns_child_result(&child, &err) < 0 && err.set && err.errnum == ELIBACC);
  CHECK_CONTAINS(err.set ? err.msg : NULL, "network: netns unit-libs: cannot load " MISSING);
  CHECK_CONTAINS(err.set ? err.msg : NULL, "cannot open shared object file");
  berr_clear(&err);
}

/* A library that loads but lacks a function of the table: refused whole. */
static void test_missing_symbol(void)
{
  bottle_error_t err = {0};
  nn_lib_use_file(NN_LIB_NFT, "libc.so.6");
  CHECK(nn_lib_load(NN_LIB_NFT, &err) < 0 && err.errnum == ELIBBAD);
  CHECK_CONTAINS(err.msg, "libc.so.6 has no nft_ctx_new");
  CHECK_CONTAINS(err.msg, "undefined symbol: nft_ctx_new"); /* dlerror's own text */
}

/* The real libraries: loaded by soname, and the functions netns/ calls reach them. */
static void test_loaded(void)
{
  bottle_error_t err = {0};
  nn_lib_use_file(NN_LIB_NFT, NULL);
  nn_lib_use_file(NN_LIB_NL, NULL);
  int rc = netns_load_libraries(&err);
  CHECK(rc == 0);
  if (rc < 0) {
    printf("# %s\n", err.msg);
    return;
  }
  CHECK(mapped("libnl-route-3.so.200") && mapped("libnftables.so.1"));

  unsigned char ip[4] = {192, 0, 2, 1};
  struct nl_addr *a = nl_addr_build(AF_INET, ip, sizeof(ip));
  CHECK(a != NULL && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4);
  if (a != NULL) {
    nl_addr_set_prefixlen(a, 30); /* a setter reaches the library */
    CHECK(nl_addr_get_prefixlen(a) == 30);
    nl_addr_put(a);
  }
  CHECK_STREQ(nl_geterror(NLE_NOMEM), "Out of memory");
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  CHECK(ctx != NULL && nft_ctx_buffer_output(ctx) == 0 && nft_ctx_buffer_error(ctx) == 0);
  if (ctx != NULL)
    nft_ctx_free(ctx);

  /* once loaded, a table stays: a later choice of file changes nothing */
  nn_lib_use_file(NN_LIB_NFT, MISSING);
  err = (bottle_error_t){0};
  CHECK(nn_lib_load(NN_LIB_NFT, &err) == 0);
  nn_lib_use_file(NN_LIB_NFT, NULL);
}

int main(void)
{
  RUN(test_not_linked);
  RUN(test_call_without_library_aborts);
  RUN(test_missing_library);
  RUN(test_message_crosses_the_netns_child);
  RUN(test_missing_symbol);
  RUN(test_loaded);
  return unit_finish();
}

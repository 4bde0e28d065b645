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

static bool mapped(const char *soname)
{
  void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
  if (h != NULL)
    dlclose(h);
  return h != NULL;
}

static bool contains(const char *s, const char *part)
{
  return s != NULL && strstr(s, part) != NULL;
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
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
        "a libnl setter called while libnl cannot load aborts (status %#x)", status);
  CHECK(contains(out, "cannot load " MISSING), "and says which library on stderr: %s", out);
}

static void test_missing_library(void)
{
  struct nn_error err = {0};
  nn_lib_use_file(NN_LIB_NFT, MISSING);
  CHECK(nn_lib_load(NN_LIB_NFT, &err) < 0 && err.errnum == ELIBACC,
        "a library that is not there fails the load with ELIBACC (%d)", err.errnum);
  CHECK(contains(err.msg, "cannot load " MISSING " (Debian package libnftables1)"),
        "naming the file and the package: %s", err.msg);
  CHECK(contains(err.msg, "cannot open shared object file"), "with dlerror's text: %s", err.msg);
  CHECK(!mapped("libnftables.so.1"), "libnftables is still not mapped");

  err = (struct nn_error){0};
  CHECK(netns_load_libraries(&err) < 0 && contains(err.msg, MISSING),
        "netns_load_libraries (the start gate's) fails the same way: %s", err.msg);
  /* a build's second half, which the runtime runs in its netns child: it fails before it reads
   * or changes anything */
  struct netns_spec spec = {.name = "unit-libs",
                            .mode = NETNS_MODE_UPLINK,
                            .proxy_port = 8888,
                            .state_dir = "/nonexistent/netns-state"};
  err = (struct nn_error){0};
  CHECK(netns_build_finish(&spec, &err) < 0 && err.errnum == ELIBACC &&
            contains(err.msg, "netns unit-libs: cannot load " MISSING),
        "netns_build_finish fails closed with the library's message: %s", err.msg);
}

static int build_finish(const void *spec, struct nn_error *err)
{
  return netns_build_finish(spec, err);
}

/* The runtime's netns child has /dev/null for stdio: the message must come back in its report. */
static void test_message_crosses_the_netns_child(void)
{
  struct netns_spec spec = {.name = "unit-libs",
                            .mode = NETNS_MODE_UPLINK,
                            .proxy_port = 8888,
                            .state_dir = "/nonexistent/netns-state"};
  struct netns_child child;
  bottle_error_t err = NULL;
  CHECK(netns_child_start(&child, build_finish, NULL, &spec) == 0, "netns child started");
  CHECK(netns_child_result(&child, &err) < 0 && err != NULL && err->errnum == ELIBACC,
        "the child's failure reaches the parent with ELIBACC");
  CHECK(err != NULL && contains(err->msg, "network: netns unit-libs: cannot load " MISSING) &&
            contains(err->msg, "cannot open shared object file"),
        "with the library's message: %s", err ? err->msg : "(none)");
  berr_free(&err);
}

/* A library that loads but lacks a function of the table: refused whole. */
static void test_missing_symbol(void)
{
  struct nn_error err = {0};
  nn_lib_use_file(NN_LIB_NFT, "libc.so.6");
  CHECK(nn_lib_load(NN_LIB_NFT, &err) < 0 && err.errnum == ELIBBAD,
        "a library without the table's functions fails the load with ELIBBAD (%d)", err.errnum);
  CHECK(contains(err.msg, "libc.so.6 has no nft_ctx_new"), "naming the function: %s", err.msg);
}

/* The real libraries: loaded by soname, and the functions netns/ calls reach them. */
static void test_loaded(void)
{
  struct nn_error err = {0};
  nn_lib_use_file(NN_LIB_NFT, NULL);
  nn_lib_use_file(NN_LIB_NL, NULL);
  int rc = netns_load_libraries(&err);
  CHECK(rc == 0, "netns_load_libraries loads both: %s", rc == 0 ? "ok" : err.msg);
  if (rc < 0)
    return;
  CHECK(mapped("libnl-route-3.so.200") && mapped("libnftables.so.1"), "both are mapped after it");

  unsigned char ip[4] = {192, 0, 2, 1};
  struct nl_addr *a = nl_addr_build(AF_INET, ip, sizeof(ip));
  CHECK(a != NULL && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4,
        "libnl: nl_addr_build and its getters");
  if (a != NULL) {
    nl_addr_set_prefixlen(a, 30);
    CHECK(nl_addr_get_prefixlen(a) == 30, "libnl: a setter reaches the library");
    nl_addr_put(a);
  }
  CHECK(strcmp(nl_geterror(NLE_NOMEM), "Out of memory") == 0, "libnl: nl_geterror is libnl's: %s",
        nl_geterror(NLE_NOMEM));
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  CHECK(ctx != NULL && nft_ctx_buffer_output(ctx) == 0 && nft_ctx_buffer_error(ctx) == 0,
        "libnftables: a context with buffered output");
  if (ctx != NULL)
    nft_ctx_free(ctx);

  /* once loaded, a table stays: a later override changes nothing */
  nn_lib_use_file(NN_LIB_NFT, MISSING);
  err = (struct nn_error){0};
  CHECK(nn_lib_load(NN_LIB_NFT, &err) == 0, "a loaded table is not loaded again");
  nn_lib_use_file(NN_LIB_NFT, NULL);
}

int main(void)
{
  CHECK(!mapped("libnl-route-3.so.200") && !mapped("libnftables.so.1"),
        "neither library is mapped before the first load (neither is linked)");
  test_call_without_library_aborts();
  test_missing_library();
  test_message_crosses_the_netns_child();
  test_missing_symbol();
  test_loaded();
  return unit_finish();
}

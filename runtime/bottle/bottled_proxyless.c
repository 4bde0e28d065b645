#include "runtime/bottle/bottled_proxyless.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/bottle/bottled_ssh.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

struct netns_proxyless proxyless_netns(const struct bottle_config *cfg)
{
  struct netns_proxyless p = {0};
  if (!cfg->proxyless)
    return p;
  p.on = true;
  p.dns_port = CFG_PROXYLESS_DNS_PORT;
  p.redirect_port = CFG_PROXYLESS_REDIRECT_PORT;
  for (size_t i = 0; i < cfg->n_proxyless_ports && i < NN_MAX_PROXYLESS_PORTS; i++)
    p.ports[p.n_ports++] = cfg->proxyless_ports[i];
  return p;
}

int proxyless_helper(const char *dir, char **copy, bottle_error_t *err)
{
  const char *env = getenv(BOTTLED_EGRESS_HELPER_ENV);
  cleanup_free char *src =
      xstrdup(env != NULL && *env != '\0' ? env : BOTTLE_LIBEXECDIR "/bottle-egress");
  size_t len = 0;
  cleanup_free char *bin = read_file_at(AT_FDCWD, src, &len);
  if (bin == NULL)
    return berr(err, errno,
                "network.proxyless: cannot read the sidecar helper %s; install bottle-egress "
                "there (make install), set %s, or turn network.proxyless off",
                src, BOTTLED_EGRESS_HELPER_ENV);
  /* A private copy, as bottle-connect's: what the sidecar runs is this bottle's alone. */
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || write_file_atomic_at(dfd, "bottle-egress", bin, len, 0555) < 0)
    return berr(err, errno, "network.proxyless: copy %s into %s", src, dir);
  *copy = xasprintf("%s/bottle-egress", dir);
  return 0;
}

char **proxyless_argv(char *const *argv, const char *ip, unsigned port)
{
  size_t n = 0;
  while (argv[n] != NULL)
    n++;
  char **out = calloc(n + 13, sizeof(*out));
  if (out == NULL)
    abort();
  size_t k = 0;
  out[k++] = xstrdup(BOTTLED_EGRESS_HELPER);
  out[k++] = xstrdup("-l");
  out[k++] = xstrdup(ip);
  out[k++] = xstrdup("-p");
  out[k++] = xasprintf("%u", port);
  out[k++] = xstrdup("-d");
  out[k++] = xasprintf("%u", CFG_PROXYLESS_DNS_PORT);
  out[k++] = xstrdup("-r");
  out[k++] = xasprintf("%u", CFG_PROXYLESS_REDIRECT_PORT);
  out[k++] = xstrdup("-c");
  out[k++] = xstrdup(CFG_PIPELOCK_CONFIG_PATH);
  out[k++] = xstrdup("--");
  for (size_t i = 0; i < n; i++)
    out[k++] = xstrdup(argv[i]);
  return out;
}

int proxyless_agent_resolver(const char *dir, const char *ip, cJSON *config, bottle_error_t *err)
{
  cleanup_free char *text = xasprintf("# bottle: network.proxyless (the sidecar answers allowed "
                                      "names only)\nnameserver %s\n",
                                      ip);
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || write_file_atomic_at(dfd, "resolv.conf", text, strlen(text), 0644) < 0)
    return berr(err, errno, "network.proxyless: write %s/resolv.conf", dir);
  cJSON *mounts = cJSON_GetObjectItemCaseSensitive(config, "mounts");
  if (!cJSON_IsArray(mounts)) {
    cJSON_DeleteItemFromObjectCaseSensitive(config, "mounts");
    mounts = cJSON_AddArrayToObject(config, "mounts");
  }
  cleanup_free char *source = xasprintf("%s/resolv.conf", dir);
  const char *opts[] = {"rbind", "ro", "nosuid", "nodev", "noexec"};
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "destination", "/etc/resolv.conf");
  cJSON_AddStringToObject(m, "type", "bind");
  cJSON_AddStringToObject(m, "source", source);
  cJSON_AddItemToObject(m, "options", cJSON_CreateStringArray(opts, 5));
  cJSON_AddItemToArray(mounts, m);
  return 0;
}

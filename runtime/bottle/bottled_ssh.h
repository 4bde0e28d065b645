/* SSH from a bottled agent: the agent has no route but the proxy, so its ssh reaches the
 * profile's SSH targets through pipelock by HTTP CONNECT, with a ProxyCommand that bottle brings
 * along instead of relying on what the image contains (socat, nc, a proxy-capable ssh).
 *
 * The static helper bottle-connect (runtime/helpers/bottle_connect.c) is copied into the bottle's
 * state dir and bind-mounted read-only at BOTTLED_SSH_HELPER; GIT_SSH_COMMAND uses it for every
 * ssh host, and when the image has /etc/ssh/ssh_config.d (Debian, Ubuntu, Fedora: included from
 * /etc/ssh/ssh_config), a generated bottle.conf there gives each target's Host alias its
 * HostName, Port, User and the ProxyCommand, so plain `ssh ALIAS` works too. */
#ifndef BOTTLE_BOTTLED_SSH_H
#define BOTTLE_BOTTLED_SSH_H

#include <cJSON.h>
#include "config/policy.h"
#include "runtime/lib/error.h"

#define BOTTLED_SSH_HELPER "/.bottle/bottle-connect"
#define BOTTLED_SSH_CONFIG "/etc/ssh/ssh_config.d/bottle.conf"
/* Overrides where the runtime takes bottle-connect from (tests run it from the build dir). */
#define BOTTLED_SSH_HELPER_ENV "BOTTLE_CONNECT_HELPER"
#ifndef BOTTLE_LIBEXECDIR
#define BOTTLE_LIBEXECDIR "/usr/local/libexec/bottle"
#endif

/* For a policy with SSH targets: copies the helper into dir, adds its mount (and the ssh config's
 * when the agent's rootfs has the directory) to config's mounts, and adds GIT_SSH_COMMAND and
 * BOTTLE_PROXY to env (the agent's and exec's proxy environment). No SSH targets: nothing. A
 * missing helper is a warning, not an error: the bottle works, its ssh does not. */
int bottled_ssh_setup(const char *dir, const struct bottle_policy *pol, const char *proxy_ip,
                      unsigned proxy_port, cJSON *config, cJSON *env, bottle_error_t *err);

#endif

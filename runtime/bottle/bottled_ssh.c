#include "runtime/bottle/bottled_ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/bottle/agent_spec.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/rootfs/safepath.h"
#include "runtime/lib/util.h"

static void add_mount(cJSON *config, const char *source, const char *destination)
{
  cJSON *mounts = cJSON_GetObjectItemCaseSensitive(config, "mounts");
  if (mounts == NULL)
    mounts = cJSON_AddArrayToObject(config, "mounts");
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "destination", destination);
  cJSON_AddStringToObject(m, "type", "bind");
  cJSON_AddStringToObject(m, "source", source);
  const char *opts[] = {"bind", "ro", "nosuid", "nodev"};
  cJSON_AddItemToObject(m, "options", cJSON_CreateStringArray(opts, 4));
  cJSON_AddItemToArray(mounts, m);
}

/* Whether the agent's rootfs has dir as a directory, every component resolved inside it (a
 * symlink in the image must not make the runtime look at the host). */
static bool rootfs_has_dir(const cJSON *config, const char *dir)
{
  const char *root = json_str(cJSON_GetObjectItemCaseSensitive(config, "root"), "path", "rootfs");
  cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return false;
  cleanup_close int fd = safepath_open(rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, NULL);
  return fd >= 0;
}

/* One Host block per target, matched by its alias and by its HostName, so that both
 * `ssh forge` and `git clone git@100.101.102.103:...` take the proxy. Every value was validated
 * by config/ (letters, digits, '.', '-', '_'), so nothing here can break out of a line. */
static char *ssh_config_text(const struct bottle_policy *pol, const char *proxy_command)
{
  char *s = xasprintf("# Written by bottle: the SSH targets of profile %s go through the bottle's\n"
                      "# proxy (pipelock, HTTP CONNECT); nothing else has a route out.\n",
                      pol->profile ? pol->profile : "(none)");
  for (size_t i = 0; i < pol->n_ssh; i++) {
    const struct cfg_ssh_target *t = &pol->ssh[i];
    bool same = strcmp(t->host, t->hostname) == 0;
    cleanup_free char *user = t->user ? xasprintf("  User %s\n", t->user) : xstrdup("");
    char *n = xasprintf("%s\nHost %s%s%s\n  HostName %s\n  Port %u\n%s  ProxyCommand %s\n"
                        "  ServerAliveInterval 300\n",
                        s, t->host, same ? "" : " ", same ? "" : t->hostname, t->hostname, t->port,
                        user, proxy_command);
    free(s);
    s = n;
  }
  return s;
}

static char *helper_source(void)
{
  const char *env = getenv(BOTTLED_SSH_HELPER_ENV);
  if (env != NULL && *env != '\0')
    return xstrdup(env);
  return xstrdup(BOTTLE_LIBEXECDIR "/bottle-connect");
}

int bottled_ssh_setup(const char *dir, const struct bottle_policy *pol, const char *proxy_ip,
                      unsigned proxy_port, cJSON *config, cJSON *env, bottle_error_t *err)
{
  if (pol->n_ssh == 0)
    return 0;
  cleanup_free char *src = helper_source();
  size_t len = 0;
  cleanup_free char *bin = read_file_at(AT_FDCWD, src, &len);
  if (bin == NULL) {
    log_msg(LOG_WARNING,
            "ssh: cannot read the ssh proxy helper %s (%s): the bottle runs, but its ssh to %s%s "
            "has no way out; install bottle-connect there (make install) or set %s",
            src, strerror(errno), pol->ssh[0].host, pol->n_ssh > 1 ? " and the other targets" : "",
            BOTTLED_SSH_HELPER_ENV);
    return 0;
  }
  /* A private copy: an agent that could write to its mount (CAP_SYS_ADMIN) reaches only its
   * own bottle's copy, never the installed binary other bottles use. */
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || write_file_atomic_at(dfd, "bottle-connect", bin, len, 0555) < 0)
    return berr(err, errno, "ssh: copy %s into %s", src, dir);
  cleanup_free char *copy = xasprintf("%s/bottle-connect", dir);
  add_mount(config, copy, BOTTLED_SSH_HELPER);

  cleanup_free char *proxy = xasprintf("%s:%u", proxy_ip, proxy_port);
  cleanup_free char *command = xasprintf("%s -p %s %%h %%p", BOTTLED_SSH_HELPER, proxy);
  cleanup_free char *git_ssh = xasprintf("ssh -o ProxyCommand='%s'", command);
  agent_set_env(env, "BOTTLE_PROXY", proxy);
  agent_set_env(env, "GIT_SSH_COMMAND", git_ssh);

  if (rootfs_has_dir(config, "/etc/ssh/ssh_config.d")) {
    cleanup_free char *text = ssh_config_text(pol, command);
    if (write_file_atomic_at(dfd, "ssh_config", text, strlen(text), 0644) < 0)
      return berr(err, errno, "ssh: write %s/ssh_config", dir);
    cleanup_free char *conf = xasprintf("%s/ssh_config", dir);
    add_mount(config, conf, BOTTLED_SSH_CONFIG);
  } else {
    log_msg(LOG_DEBUG,
            "ssh: the agent's image has no /etc/ssh/ssh_config.d, so its ssh targets get "
            "GIT_SSH_COMMAND only (ssh ALIAS needs -o ProxyCommand='%s')",
            command);
  }
  return 0;
}

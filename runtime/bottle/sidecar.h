/* The pipelock sidecar of a bottled container: its per-instance root
 * filesystem, the OCI spec bottle generates for it, and the readiness probe.
 * One unpacked pipelock bundle serves every bottle: each instance sees it
 * through its own overlay, so the generated config never touches the bundle. */
#ifndef BOTTLE_SIDECAR_H
#define BOTTLE_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

/* The ids pipelock runs as, on the host (the sidecar has no user namespace: docs/design.md says
 * why). Just below 2^31: above what useradd, systemd (dynamic users, nspawn's container range,
 * the foreign range) and the usual subuid allocations hand out, so no image user, no other
 * container and no host service shares them. */
#define SIDECAR_UID 2147483000u
#define SIDECAR_GID 2147483000u

struct sidecar_file {
  const char *path; /* absolute, inside the sidecar's root */
  const char *data;
  size_t len;
  mode_t mode;
  bool sidecar_owned; /* owned by SIDECAR_UID/GID (a 0600 file pipelock must read), else root */
};

/* Mounts an overlay at <dir>/merged (lower: the bundle's rootfs, upper and work on a tmpfs at dir;
 * its root keeps the lower root's owner and mode) and writes files into it through
 * openat2(RESOLVE_IN_ROOT), so a symlink in the image cannot redirect a write outside the root.
 * *merged gets the mount point. */
int sidecar_rootfs_prepare(const char *dir, const char *lower_rootfs,
                           const struct sidecar_file *files, size_t nfiles, char **merged,
                           bottle_error_t *err);
/* Unmounts and removes what sidecar_rootfs_prepare made under dir. Idempotent. */
int sidecar_rootfs_release(const char *dir, bottle_error_t *err);

struct sidecar_spec_in {
  const char *rootfs;       /* the merged overlay */
  char *const *argv;        /* pipelock's command line */
  const char *netns;        /* the sidecar netns; NULL: a new one (the engine's hook fills it) */
  const char *cgroups_path; /* linux.cgroupsPath */
  long long cpu_quota_us;   /* per cpu_period_us */
  long long cpu_period_us;
  long long memory_limit; /* bytes */
  long long pids_limit;
  const char *egress_helper; /* network.proxyless: bottle-egress, bind-mounted for argv[0] */
};
/* The sidecar's config.json: SIDECAR_UID/GID, its own pid, mount, ipc and uts namespaces, the
 * given network namespace, no capabilities, no_new_privs, read-only root, CPU, memory and pids
 * limits. */
cJSON *sidecar_spec(const struct sidecar_spec_in *in);

/* The sidecar's readiness (sidecar.readiness): path is the HTTP path a GET must answer 200 on
 * ("/health" is pipelock's), or "" for a TCP connect to the proxy port only. */
#define SIDECAR_PIPELOCK_HEALTH "/health"

/* Waits until the proxy on ip:port is ready (path as above) from inside netns, for at most
 * timeout_ms. Fails early when the sidecar process (pid) is gone. */
int sidecar_wait_ready(const char *netns, const char *ip, unsigned port, const char *path,
                       unsigned timeout_ms, pid_t pid, bottle_error_t *err);

/* The start gate's look at the proxy, within timeout_ms: the same probe as sidecar_wait_ready,
 * once; with pipelock's /health the body must also say "mode":"strict" and
 * "forward_proxy_enabled":true (pipelock.md §3.2). Errors begin "proxy health". */
int sidecar_check_health(const char *netns, const char *ip, unsigned port, const char *path,
                         unsigned timeout_ms, bottle_error_t *err);

/* The last lines of a log file (at most max_bytes), for error messages; malloc'd. */
char *sidecar_log_tail(const char *path, size_t max_bytes);

struct bottle_config;
/* The sidecar's resolv.conf. Never the agent's own (a bind mount of a file the agent can write,
 * which under CRI outlives a container restart): network.dns, else the host's resolvers as the
 * runtime sees them (systemd-resolved's upstream list when /etc/resolv.conf names only its
 * loopback stub, as dockerd does), 127.0.0.11 first with Docker's hook (engine_hook). NULL and
 * one line naming network.dns when no resolver the sidecar can reach is left. */
char *sidecar_resolv_conf(const struct bottle_config *cfg, bool engine_hook, bottle_error_t *err);

#endif

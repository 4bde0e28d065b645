/* config/: what the operator and the container ask for, turned into one container's egress
 * policy and the pipelock config that enforces it. Pure: no syscalls beyond reading the runtime
 * config file, no global state, no getenv (environments are passed in), so everything is
 * unit-tested and fuzzed without root. docs/configuration.md is the user-facing description.
 *
 * The runtime's sequence:
 *
 *   bottle_error_t err = {0};
 *   struct bottle_config *cfg = NULL;          // --config FILE, else BOTTLE_CONFIG, else
 *   cfg_load(opt_config, environ, &cfg, &err); // /etc/bottle/bottle.json, else built-in defaults
 *
 *   struct cfg_container_input in = {
 *     .annotations = cJSON_GetObjectItemCaseSensitive(spec, "annotations"),  // may be NULL
 *     .env = process_env,                      // "K=V" strings from config.json, NULL-terminated
 *   };
 *   struct bottle_policy *pol = NULL;
 *   cfg_resolve(cfg, &in, &pol, &err);          // mode, profile, allowlist, ssh, ssrf, trusted
 *   if (pol->mode == BOTTLE_MODE_BOTTLED) {
 *     char *yaml = cfg_pipelock_yaml(pol, "10.231.0.1", cfg->sidecar_port, &len, &err);
 *     char **argv = cfg_sidecar_argv(cfg, "10.231.0.1", cfg->sidecar_port, &err);
 *     char *line = cfg_summary(pol);            // "7 hosts allowed (a, b, c +4 more)"
 *   }
 *   cfg_policy_free(pol); cfg_free(cfg);
 *
 * Every function that can fail returns -1 or NULL and leaves one line in err->msg naming the
 * entry, where it came from (file and key path, annotation, env variable) and the fix. */
#ifndef BOTTLE_CONFIG_POLICY_H
#define BOTTLE_CONFIG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cJSON.h>

#include "config/error.h"
#include "config/ipv4.h"
#include "config/strlist.h"

#define CFG_DEFAULT_PATH "/etc/bottle/bottle.json"
/* Where the runtime puts the generated YAML inside the sidecar's rootfs (the default sidecar argv
 * passes it to pipelock with --config). */
#define CFG_PIPELOCK_CONFIG_PATH "/etc/pipelock.yaml"
#define CFG_MAX_DNS 3 /* resolv.conf reads at most three nameservers */
/* network.proxyless: the redirected ports, at most this many; the resolver and the redirector
 * listen on these ports of the link address (the sidecar's filter DNATs 53 and the redirected
 * ports there), so sidecar.port may be neither. */
#define CFG_MAX_PROXYLESS_PORTS 8
#define CFG_PROXYLESS_DNS_PORT 10053
#define CFG_PROXYLESS_REDIRECT_PORT 10080
/* pipelock 2.3.0 scans at most 60 requests a minute per registrable domain (every CONNECT and
 * plain-HTTP request counts) and answers 429 beyond that. An agent installing packages or
 * running tools in parallel passes 60 against one registry, so bottle's default is ten a second
 * (docs/configuration.md §2.3); the limit cannot be turned off. */
#define CFG_DEFAULT_MAX_REQUESTS_PER_MINUTE 600
#define CFG_MAX_REQUESTS_PER_MINUTE 100000
/* sidecar.readiness's HTTP path, at most this long (one line of a request). */
#define CFG_MAX_READINESS_PATH 128
/* pipelock serves /metrics and /stats on the proxy listener unless metrics_listen moves them: the
 * YAML puts them on the sidecar's own loopback, out of the agent's reach, on this port (pipelock
 * refuses a metrics port equal to the proxy's, so a proxy on 9464 gets them on 9465), at
 * 127.0.<c>.<d> for a proxy on a.b.c.d (10.231.0.1: 127.0.0.1): several bottles in one engine's
 * netns have proxies on different link addresses, and each its own metrics address. */
#define CFG_METRICS_PORT 9464
static inline uint32_t cfg_metrics_ip(uint32_t proxy_ip)
{
  return 0x7f000000u | (proxy_ip & 0xffffu);
}
static inline unsigned cfg_metrics_port(unsigned proxy_port)
{
  return proxy_port == CFG_METRICS_PORT ? CFG_METRICS_PORT + 1 : CFG_METRICS_PORT;
}

enum bottle_mode {
  BOTTLE_MODE_BOTTLED, /* agent + pipelock sidecar; the default */
  BOTTLE_MODE_PLAIN,   /* exactly what the runtime core runs, no sidecar */
};

struct cfg_ssh_target {
  char *host;     /* the ssh alias ("Host") */
  char *hostname; /* normalised name or canonical IPv4 ("Hostname") */
  bool hostname_is_ipv4;
  unsigned port; /* 1-65535 */
  char *user;    /* NULL when not given */
};

struct cfg_profile {
  char *name;
  struct cfg_strlist allowlist; /* normalised */
  struct cfg_ssh_target *ssh;
  size_t n_ssh;
};

/* What one kind of per-container input (annotations or the container env) may do beyond
 * tightening; bottle.json "trust": {"annotations": {...}, "env": {...}}. All off by default:
 * both can come from the image (podman copies an image's annotations into config.json, an image's
 * ENV lands in process.env) or from a pod's author, not only from the operator. */
struct cfg_trust {
  bool plain;                  /* may choose mode plain when the configured mode is bottled */
  bool extra_hosts;            /* may add hosts that the default list and profile do not allow */
  bool any_profile;            /* "profiles": ["*"] */
  struct cfg_strlist profiles; /* the profiles it may choose (names defined in "bottles") */
};

/* What a bottled agent may keep that would otherwise let it leave its bottle; bottle.json
 * "agent": {...}, all off by default. Only the operator's file grants these, never the container
 * (runtime/bottle/agent_spec.c checks the agent's config.json against them). */
struct cfg_agent {
  struct cfg_strlist allow_capabilities; /* names from cfg_agent_refused_caps */
  bool allow_devices;                    /* host block devices, memory devices, wildcard rules */
  struct cfg_strlist allow_mounts;       /* absolute host paths, as written */
  bool allow_unmasked_proc;              /* /proc without the default masks, a second proc */
  bool allow_writable_sys;               /* sysfs, cgroupfs and the like mounted writable */
};

/* The capabilities a bottled agent may not have unless agent.allow_capabilities names them,
 * each with what it lets the agent do (NULL-terminated). */
struct cfg_refused_cap {
  const char *name;
  const char *why;
};
extern const struct cfg_refused_cap cfg_agent_refused_caps[];
const struct cfg_refused_cap *cfg_agent_refused_cap(const char *name);

/* sidecar.resources: the limits of the sidecar's cgroup. */
struct cfg_sidecar_resources {
  double cpus;            /* CPUs' worth of time per period: 1.0 by default */
  long long memory_bytes; /* 256 MiB by default */
  unsigned pids;          /* 256 by default */
};

/* The runtime config (bottle.json) after validation, with defaults filled in. */
struct bottle_config {
  char *source; /* the file it came from, or "built-in defaults" */
  enum bottle_mode mode;
  bool trust_container_env; /* as written; when true, trust_env allows everything */
  struct cfg_trust trust_annotations;
  struct cfg_trust trust_env;
  char *sidecar_bundle; /* absolute path, NULL when not configured */
  char **sidecar_args;  /* NULL-terminated template, may hold {listen} {ip} {port} */
  size_t n_sidecar_args;
  unsigned sidecar_port;
  unsigned sidecar_ready_timeout_ms;
  unsigned sidecar_max_requests_per_minute;       /* pipelock's scans per registrable domain */
  /* sidecar.readiness: the path a GET must answer 200 on ("/health", pipelock's, by default), or
   * empty for a TCP connect only, so that a proxy other than pipelock can be the sidecar. */
  char sidecar_readiness_path[CFG_MAX_READINESS_PATH + 1];
  struct cfg_sidecar_resources sidecar_resources; /* sidecar.resources, defaults filled in */
  struct cfg_strlist default_allowlist; /* normalised; BOTTLE_DEFAULT_ALLOWLIST already applied */
  struct cfg_profile *profiles;
  size_t n_profiles;
  struct cfg_ipv4_net link_pool;   /* agent<->sidecar point-to-point /30s come from here */
  struct cfg_ipv4_net uplink_pool; /* own-uplink /30s come from here */
  uint32_t dns[CFG_MAX_DNS];       /* host byte order; n_dns == 0: use the host's resolv.conf */
  size_t n_dns;
  /* network.inbound: "tcp" (the default) forwards new TCP from the engine side (docker -p, a
   * Service, a probe) to the agent; "none" does not. */
  bool inbound;
  /* network.proxyless (off by default): the agent's resolver is bottle's (allowed names resolve
   * to the link address, nothing recurses) and TCP to proxyless_ports there goes through
   * pipelock by its SNI or Host (runtime/helpers/bottle_egress.c). Only bottle.json sets it. */
  bool proxyless;
  uint16_t proxyless_ports[CFG_MAX_PROXYLESS_PORTS]; /* default 80, 443 */
  size_t n_proxyless_ports;
  struct cfg_agent agent;
};

/* Loads the runtime config. path: the --config argument or NULL; host_env: the runtime's own
 * environment (NULL-terminated "K=V"), read for BOTTLE_CONFIG and BOTTLE_DEFAULT_ALLOWLIST.
 * A missing explicit file (path or BOTTLE_CONFIG) is an error; a missing default file gives the
 * built-in defaults. */
int cfg_load(const char *path, char *const *host_env, struct bottle_config **out,
             bottle_error_t *err);
/* As cfg_load with another default location (tests). */
int cfg_load_from(const char *path, char *const *host_env, const char *default_path,
                  struct bottle_config **out, bottle_error_t *err);
/* Parses bottle.json text; source names it in messages. json == NULL gives the defaults. */
int cfg_parse(const char *json, size_t len, const char *source, char *const *host_env,
              struct bottle_config **out, bottle_error_t *err);
void cfg_free(struct bottle_config *cfg);
const struct cfg_profile *cfg_find_profile(const struct bottle_config *cfg, const char *name);

/* One container's inputs. Every field may be NULL. */
struct cfg_container_input {
  const cJSON *annotations; /* config.json "annotations": object of strings */
  char *const *env;         /* config.json process.env: NULL-terminated "K=V" */
  const char *profile;      /* bottle-run --profile: wins over annotation and env */
  char *const *allow;       /* bottle-run --allow HOST...: NULL-terminated, added to the list */
};

/* Where one allowlist entry came from: "default", "profile NAME", "annotation
 * bottle.egress.allowlist", "container env BOTTLE_EGRESS_ALLOWLIST", "command line --allow",
 * "ssh ALIAS", "bottle policy --allow". A host asked for by several has one pair each. */
struct cfg_host_origin {
  char *host; /* normalised, as in the allowlist */
  char *origin;
};

struct bottle_policy {
  enum bottle_mode mode;
  char *mode_source;    /* "runtime config ...", "annotation bottle.mode", ... */
  char *profile;        /* NULL when no profile was selected */
  char *profile_source; /* NULL when no profile was selected */
  /* default ∪ profile ∪ per-container ∪ SSH hostnames; pipelock's api_allowlist */
  struct cfg_strlist allowlist;
  struct cfg_ssh_target *ssh; /* the profile's SSH targets (copies) */
  size_t n_ssh;
  struct cfg_strlist ssrf_ip_allowlist; /* "a.b.c.d/32" of IPv4 SSH targets */
  struct cfg_strlist trusted_domains;   /* SSH target names */
  /* fetch_proxy.monitoring.max_requests_per_minute (sidecar.max_requests_per_minute); 0 leaves
   * it out of the YAML (pipelock's own 60) */
  unsigned max_requests_per_minute;
  bool inbound; /* network.inbound "tcp"; an annotation or env may only turn it off */
  struct cfg_host_origin *origins; /* in the order the hosts were added */
  size_t n_origins;
};

/* Resolves one container's policy. Precedence, per setting:
 *   profile:   input->profile > annotation bottle.profile > env BOTTLE_PROFILE
 *   allowlist: annotation bottle.egress.allowlist > env BOTTLE_EGRESS_ALLOWLIST (not merged),
 *              plus input->allow
 *   mode:      annotation bottle.mode > env BOTTLE_MODE > runtime config "mode"
 *   inbound:   annotation bottle.network.inbound > env BOTTLE_NETWORK_INBOUND > runtime config
 *              network.inbound; "none" is always honoured, "tcp" never reopens what the
 *              runtime config closed (no trust opens it)
 * Annotations and the container env can both come from the image or the pod's author, so each may
 * only tighten unless the runtime config's trust for it (cfg->trust_annotations, cfg->trust_env)
 * allows more: mode plain (not loosening when the configured mode is plain), a profile, hosts that
 * the default list and the chosen profile do not already allow. A refused setting fails with one
 * line naming it, its value and the bottle.json key that would allow it. bottled mode and hosts
 * already allowed are always honoured; input->profile and input->allow are the operator's
 * (bottle-run's flags) and need no trust. Annotations and env are validated in plain mode too.
 * Unknown "bottle.*" annotations are errors (typos must not silently drop policy). */
int cfg_resolve(const struct bottle_config *cfg, const struct cfg_container_input *input,
                struct bottle_policy **out, bottle_error_t *err);
void cfg_policy_free(struct bottle_policy *pol);

/* The "*.d" entry of list, other than host itself, that lets pipelock reach host (pipelock's "*.d"
 * matches d and every name below it at any depth; a host "*.x" is covered when x is), or NULL. */
const char *cfg_covering_wildcard(const struct cfg_strlist *list, const char *host);
/* Every origin of host in pol, joined by ", " into buf ("" when it has none). Returns buf. */
const char *cfg_policy_origins(const struct bottle_policy *pol, const char *host, char *buf,
                               size_t size);
/* Records that host (normalised) came from origin. Returns 0, or -1 when out of memory. */
int cfg_policy_note_origin(struct bottle_policy *pol, const char *host, const char *origin);

/* A running bottle's policy (config/policy_live.c). The resolved policy is kept as JSON in the
 * bottle's state, so that its pipelock YAML can be made again, byte for byte, with the changes
 * `bottle policy` makes; the JSON is root's, but it is validated as any input. */
cJSON *cfg_policy_to_json(const struct bottle_policy *pol);
int cfg_policy_from_json(const cJSON *json, struct bottle_policy **out, bottle_error_t *err);
/* Adds host (as the operator typed it; validated and normalised as every allowlist entry) with
 * origin. A host already listed gains the origin only. normal gets the normalised entry. */
int cfg_policy_allow(struct bottle_policy *pol, const char *host, const char *origin,
                     char normal[254], bottle_error_t *err);
/* Removes the entry host (validated, normalised) whatever its origins. Refused: a host that is
 * not an entry (one a wildcard entry covers names that entry), and the last entry (pipelock's
 * strict mode needs one). */
int cfg_policy_deny(struct bottle_policy *pol, const char *host, char normal[254],
                    bottle_error_t *err);

/* The pipelock 2.3.0 YAML for pol, listening on listen_ip:port (also passed as --listen).
 * Returns a malloc'd NUL-terminated buffer (length in *len if len != NULL), or NULL. The runtime
 * writes it with mode 0600. It holds host names and addresses only, never env values. */
char *cfg_pipelock_yaml(const struct bottle_policy *pol, const char *listen_ip, unsigned port,
                        size_t *len, bottle_error_t *err);

/* "<N> hosts allowed (h1, h2, h3 +M more)"; malloc'd, NULL when out of memory. */
char *cfg_summary(const struct bottle_policy *pol);

/* The sidecar argv for listen_ip:port: the template with {listen} -> "ip:port", {ip}, {port}
 * substituted. malloc'd, NULL-terminated; free with cfg_argv_free. */
char **cfg_sidecar_argv(const struct bottle_config *cfg, const char *listen_ip, unsigned port,
                        bottle_error_t *err);
void cfg_argv_free(char **argv);

const char *cfg_mode_name(enum bottle_mode mode);
/* "bottled" or "plain" -> mode; returns 0, or -1 for anything else. */
int cfg_mode_parse(const char *s, enum bottle_mode *mode);
/* network.inbound's values: "tcp" -> true, "none" -> false; returns 0, or -1 for anything else. */
int cfg_inbound_parse(const char *s, bool *inbound);

#endif

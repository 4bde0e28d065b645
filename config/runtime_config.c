/* bottle.json: the operator's runtime config, validated strictly (unknown keys, duplicate keys and
 * wrong types anywhere are errors) and completed with the built-in defaults. */
#include "config/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/agent_config.h"
#include "config/env.h"
#include "config/hostlist.h"
#include "config/hostname.h"
#include "config/json_check.h"
#include "config/profiles.h"
#include "config/ssh_target.h"

#define CFG_MAX_FILE (1024 * 1024)
#define CFG_MAX_ARGS 64

/* The hosts Claude Code needs (see docs/configuration.md). */
static const char *const default_allowlist[] = {
    "api.anthropic.com",
    "statsig.anthropic.com",
    "sentry.io",
    "claude.ai",
    "platform.claude.com",
    "downloads.claude.ai",
    "raw.githubusercontent.com",
    NULL,
};
static const char *const default_sidecar_args[] = {
    "/pipelock", "run", "--listen", "{listen}", "--config", CFG_PIPELOCK_CONFIG_PATH, NULL,
};

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

static int set_args(struct bottle_config *cfg, const char *const *args, size_t n)
{
  char **copy = calloc(n + 1, sizeof(*copy));
  if (copy == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if ((copy[i] = strdup(args[i])) == NULL) {
      cfg_argv_free(copy);
      return -1;
    }
  cfg_argv_free(cfg->sidecar_args);
  cfg->sidecar_args = copy;
  cfg->n_sidecar_args = n;
  return 0;
}

static int set_defaults(struct bottle_config *cfg, bottle_error_t *err)
{
  const char *why;
  cfg->mode = BOTTLE_MODE_BOTTLED;
  cfg->sidecar_port = 8888;
  cfg->inbound = true;
  cfg->proxyless_ports[0] = 80;
  cfg->proxyless_ports[1] = 443;
  cfg->n_proxyless_ports = 2;
  cfg->sidecar_ready_timeout_ms = 5000;
  cfg->sidecar_max_requests_per_minute = CFG_DEFAULT_MAX_REQUESTS_PER_MINUTE;
  strcpy(cfg->sidecar_readiness_path, "/health");
  cfg->sidecar_resources =
      (struct cfg_sidecar_resources){.cpus = 1.0, .memory_bytes = 256LL << 20, .pids = 256};
  if (set_args(cfg, default_sidecar_args, 6) < 0)
    return berr(err, 0, "out of memory");
  for (size_t i = 0; default_allowlist[i]; i++)
    if (strlist_add(&cfg->default_allowlist, default_allowlist[i]) < 0)
      return berr(err, 0, "out of memory");
  if (ipv4_net_parse("10.231.0.0/24", &cfg->link_pool, &why) < 0 ||
      ipv4_net_parse("10.232.0.0/16", &cfg->uplink_pool, &why) < 0)
    return berr(err, 0, "built-in network defaults: %s", why);
  return 0;
}

static void where_line_col(const char *text, size_t offset, size_t *line, size_t *col)
{
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < offset; i++) {
    if (text[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

static int fail_at(const char *source, const char *text, size_t len, size_t offset,
                   const char *what, bottle_error_t *err)
{
  size_t line, col;
  if (offset > len)
    offset = len;
  where_line_col(text, offset, &line, &col);
  char shown[128];
  size_t n = len - offset < 20 ? len - offset : 20;
  const char *nl = memchr(text + offset, '\n', n);
  if (nl)
    n = (size_t)(nl - (text + offset));
  if (n == 0)
    return berr(err, 0, "%s: line %zu, column %zu: %s at the end of the input", source, line, col,
                what);
  return berr(err, 0, "%s: line %zu, column %zu: %s near %s", source, line, col, what,
              cfg_quote(text + offset, n, shown, sizeof(shown)));
}

static int parse_mode_value(const cJSON *item, struct json_where at, enum bottle_mode *mode,
                            bottle_error_t *err)
{
  if (json_expect(item, cJSON_String, at, err) < 0)
    return -1;
  if (cfg_mode_parse(item->valuestring, mode) < 0) {
    char shown[128];
    const char *v = item->valuestring;
    return berr(err, 0, "%s: %s: %s is not a mode; use \"bottled\" or \"plain\"", at.source,
                at.path, cfg_quote(v, strlen(v), shown, sizeof(shown)));
  }
  return 0;
}

static int check_arg_template(const char *arg, struct json_where at, bottle_error_t *err)
{
  static const char *const placeholders[] = {"{listen}", "{ip}", "{port}", NULL};
  char shown[128];
  for (const char *p = strchr(arg, '{'); p; p = strchr(p + 1, '{')) {
    bool known = false;
    for (size_t i = 0; placeholders[i]; i++)
      known = known || strncmp(p, placeholders[i], strlen(placeholders[i])) == 0;
    if (!known)
      return berr(err, 0,
                  "%s: %s: %s has an unknown placeholder; the placeholders are {listen} "
                  "(ip:port), {ip} and {port}",
                  at.source, at.path, cfg_quote(arg, strlen(arg), shown, sizeof(shown)));
  }
  for (const char *p = arg; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return berr(err, 0, "%s: %s: %s contains a control character", at.source, at.path,
                  cfg_quote(arg, strlen(arg), shown, sizeof(shown)));
  return 0;
}

/* A number of sidecar.resources within [min, max]. */
static int resource_number(const cJSON *obj, const char *key, double min, double max,
                           const char *hint, const char *source, double *out, bottle_error_t *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (item == NULL)
    return 0;
  if (!cJSON_IsNumber(item) || !(item->valuedouble >= min && item->valuedouble <= max))
    return berr(err, 0, "%s: sidecar.resources.%s: must be a number from %.16g to %.16g (%s)",
                source, key, min, max, hint);
  *out = item->valuedouble;
  return 0;
}

/* sidecar.resources: CPU, memory and pids limits of the sidecar's cgroup. */
static int parse_sidecar_resources(struct cfg_sidecar_resources *r, const cJSON *obj,
                                   const char *source, bottle_error_t *err)
{
  static const char *const keys[] = {"cpus", "memory_bytes", "pids", NULL};
  struct json_where at = {source, "sidecar.resources"};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  double cpus = r->cpus, mem = (double)r->memory_bytes, pids = r->pids;
  /* the kernel's smallest CFS quota is 1 ms of a 100 ms period */
  if (resource_number(obj, "cpus", 0.01, 1024, "CPUs, e.g. 0.5", source, &cpus, err) < 0 ||
      resource_number(obj, "memory_bytes", 32 << 20, 1LL << 50, "bytes, at least 32 MiB", source,
                      &mem, err) < 0 ||
      resource_number(obj, "pids", 16, 1 << 22, "tasks, threads included", source, &pids, err) < 0)
    return -1;
  if (mem != (double)(long long)mem || pids != (double)(unsigned)pids)
    return berr(err, 0, "%s: sidecar.resources: memory_bytes and pids must be whole numbers",
                source);
  *r = (struct cfg_sidecar_resources){cpus, (long long)mem, (unsigned)pids};
  return 0;
}

/* sidecar.readiness: {"http": "/path"} or {"tcp": true}. The path goes into a request line as
 * is, so it is printable ASCII without spaces. */
static int parse_sidecar_readiness(struct bottle_config *cfg, const cJSON *obj, const char *source,
                                   bottle_error_t *err)
{
  static const char *const keys[] = {"http", "tcp", NULL};
  struct json_where at = {source, "sidecar.readiness"};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  const cJSON *http = cJSON_GetObjectItemCaseSensitive(obj, "http");
  const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(obj, "tcp");
  if ((http == NULL) == (tcp == NULL))
    return berr(err, 0,
                "%s: sidecar.readiness: give exactly one of {\"http\": \"/path\"} (a GET "
                "that answers 200) or {\"tcp\": true} (a connect to the proxy port)",
                source);
  if (tcp != NULL) {
    if (!cJSON_IsTrue(tcp))
      return berr(err, 0,
                  "%s: sidecar.readiness.tcp: must be true; use {\"http\": \"/path\"} for "
                  "an HTTP probe",
                  source);
    cfg->sidecar_readiness_path[0] = '\0';
    return 0;
  }
  struct json_where here = {source, "sidecar.readiness.http"};
  if (json_expect(http, cJSON_String, here, err) < 0)
    return -1;
  const char *v = http->valuestring;
  size_t n = strlen(v);
  bool printable = true;
  for (const char *p = v; *p; p++)
    printable &= *p > 0x20 && *p < 0x7f;
  char shown[160];
  if (v[0] != '/' || n > CFG_MAX_READINESS_PATH || !printable)
    return berr(err, 0,
                "%s: sidecar.readiness.http: %s is not a path of at most %d printable "
                "characters without spaces that starts with '/', e.g. \"/health\"",
                source, cfg_quote(v, n, shown, sizeof(shown)), CFG_MAX_READINESS_PATH);
  memcpy(cfg->sidecar_readiness_path, v, n + 1);
  return 0;
}

static int parse_sidecar(struct bottle_config *cfg, const cJSON *obj, const char *source,
                         bottle_error_t *err)
{
  static const char *const keys[] = {"bundle",           "args",      "port",
                                     "ready_timeout_ms", "resources", "max_requests_per_minute",
                                     "readiness",        NULL};
  struct json_where at = {source, "sidecar"};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  const cJSON *item;
  char shown[128];
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "bundle"))) {
    struct json_where here = {source, "sidecar.bundle"};
    if (json_expect(item, cJSON_String, here, err) < 0)
      return -1;
    const char *v = item->valuestring;
    if (v[0] != '/')
      return berr(err, 0,
                  "%s: sidecar.bundle: %s is not an absolute path; give the full path of "
                  "the unpacked pipelock bundle, e.g. \"/var/lib/bottle/pipelock\"",
                  source, cfg_quote(v, strlen(v), shown, sizeof(shown)));
    for (const char *p = v; *p; p++)
      if ((unsigned char)*p < 0x20 || *p == 0x7f)
        return berr(err, 0, "%s: sidecar.bundle: %s contains a control character", source,
                    cfg_quote(v, strlen(v), shown, sizeof(shown)));
    if ((cfg->sidecar_bundle = strdup(v)) == NULL)
      return berr(err, 0, "out of memory");
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "args"))) {
    struct json_where here = {source, "sidecar.args"};
    if (json_expect(item, cJSON_Array, here, err) < 0)
      return -1;
    size_t n = (size_t)cJSON_GetArraySize(item);
    if (n == 0 || n > CFG_MAX_ARGS)
      return berr(err, 0,
                  "%s: sidecar.args: needs 1 to %d arguments, got %zu; omit the key for "
                  "pipelock's default argv",
                  source, CFG_MAX_ARGS, n);
    const char *args[CFG_MAX_ARGS];
    size_t i = 0;
    for (const cJSON *arg = item->child; arg; arg = arg->next, i++) {
      char path[64];
      struct json_where argat = {source, json_path_index(path, sizeof(path), "sidecar.args", i)};
      if (json_expect(arg, cJSON_String, argat, err) < 0 ||
          check_arg_template(arg->valuestring, argat, err) < 0)
        return -1;
      args[i] = arg->valuestring;
    }
    if (args[0][0] != '/')
      return berr(err, 0,
                  "%s: sidecar.args[0]: %s must be the absolute path of the program inside "
                  "the bundle, e.g. \"/pipelock\"",
                  source, cfg_quote(args[0], strlen(args[0]), shown, sizeof(shown)));
    if (set_args(cfg, args, n) < 0)
      return berr(err, 0, "out of memory");
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "port"))) {
    struct json_where here = {source, "sidecar.port"};
    if (json_uint(item, 1, 65535, here, &cfg->sidecar_port, err) < 0)
      return -1;
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "ready_timeout_ms"))) {
    struct json_where here = {source, "sidecar.ready_timeout_ms"};
    if (json_uint(item, 1, 600000, here, &cfg->sidecar_ready_timeout_ms, err) < 0)
      return -1;
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "max_requests_per_minute"))) {
    struct json_where here = {source, "sidecar.max_requests_per_minute"};
    if (cJSON_IsNumber(item) && item->valuedouble <= 0)
      return berr(err, 0,
                  "%s: sidecar.max_requests_per_minute: pipelock cannot turn its rate limit "
                  "off (0 means 60 there); give the requests a minute per site, 1-%u",
                  source, CFG_MAX_REQUESTS_PER_MINUTE);
    if (json_uint(item, 1, CFG_MAX_REQUESTS_PER_MINUTE, here, &cfg->sidecar_max_requests_per_minute,
                  err) < 0)
      return -1;
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "resources")) &&
      parse_sidecar_resources(&cfg->sidecar_resources, item, source, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "readiness")) &&
      parse_sidecar_readiness(cfg, item, source, err) < 0)
    return -1;
  return 0;
}

static int parse_egress(struct bottle_config *cfg, const cJSON *obj, const char *source,
                        bottle_error_t *err)
{
  static const char *const keys[] = {"default_allowlist", NULL};
  struct json_where at = {source, "egress"};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, "default_allowlist");
  if (list == NULL)
    return 0;
  strlist_free(&cfg->default_allowlist);
  struct json_where here = {source, "egress.default_allowlist"};
  return hostlist_add_json(&cfg->default_allowlist, list, here, err);
}

/* Ranges that cannot carry a point-to-point link or a resolver. */
static const struct {
  const char *cidr;
  const char *what;
} reserved_ranges[] = {
    {"0.0.0.0/8", "\"this network\""},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},
    {"224.0.0.0/3", "multicast and reserved"},
};

static const char *reserved_overlap(const struct cfg_ipv4_net *net)
{
  for (size_t i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]); i++) {
    struct cfg_ipv4_net r;
    const char *why;
    if (ipv4_net_parse(reserved_ranges[i].cidr, &r, &why) == 0 && ipv4_nets_overlap(net, &r))
      return reserved_ranges[i].what;
  }
  return NULL;
}

static int parse_pool(struct cfg_ipv4_net *net, const cJSON *item, const char *source,
                      const char *path, const char *example, bottle_error_t *err)
{
  struct json_where at = {source, path};
  if (json_expect(item, cJSON_String, at, err) < 0)
    return -1;
  char shown[128];
  const char *v = item->valuestring, *why, *reserved;
  if (ipv4_net_parse(v, net, &why) < 0)
    return berr(err, 0, "%s: %s: %s %s", source, path,
                cfg_quote(v, strlen(v), shown, sizeof(shown)), why);
  if (net->prefix < 8 || net->prefix > 30)
    return berr(err, 0,
                "%s: %s: %s has a /%u prefix; it must be /8 to /30 so that /30 links fit, "
                "e.g. \"%s\"",
                source, path, cfg_quote(v, strlen(v), shown, sizeof(shown)), net->prefix, example);
  if ((reserved = reserved_overlap(net)))
    return berr(err, 0, "%s: %s: %s overlaps the %s range; use a private range, e.g. \"%s\"",
                source, path, cfg_quote(v, strlen(v), shown, sizeof(shown)), reserved, example);
  return 0;
}

static int parse_bool(const cJSON *item, const char *source, const char *path, bool *out,
                      bottle_error_t *err);

/* network.proxyless_ports: 1 to CFG_MAX_PROXYLESS_PORTS distinct TCP ports, none of them 53 (the
 * resolver's), the proxy's own or the helpers' (their DNAT would hide them). */
static int parse_proxyless_ports(struct bottle_config *cfg, const cJSON *item, const char *source,
                                 bottle_error_t *err)
{
  struct json_where at = {source, "network.proxyless_ports"};
  if (json_expect(item, cJSON_Array, at, err) < 0)
    return -1;
  int n = cJSON_GetArraySize(item);
  if (n < 1 || n > CFG_MAX_PROXYLESS_PORTS)
    return berr(err, 0,
                "%s: network.proxyless_ports: has %d entries; list 1 to %d TCP ports, e.g. "
                "[80, 443]",
                source, n, CFG_MAX_PROXYLESS_PORTS);
  cfg->n_proxyless_ports = 0;
  size_t i = 0;
  for (const cJSON *p = item->child; p; p = p->next, i++) {
    char path[64];
    struct json_where here = {source,
                              json_path_index(path, sizeof(path), "network.proxyless_ports", i)};
    unsigned port = 0;
    if (json_uint(p, 1, 65535, here, &port, err) < 0)
      return -1;
    if (port == 53 || port == cfg->sidecar_port || port == CFG_PROXYLESS_DNS_PORT ||
        port == CFG_PROXYLESS_REDIRECT_PORT)
      return berr(err, 0, "%s: %s: %u is the %s; list the ports tools connect to, e.g. [80, 443]",
                  source, path, port,
                  port == 53                  ? "resolver's port (always served)"
                  : port == cfg->sidecar_port ? "proxy's port (sidecar.port)"
                                              : "port of bottle's own resolver or redirector");
    for (size_t k = 0; k < cfg->n_proxyless_ports; k++)
      if (cfg->proxyless_ports[k] == port)
        return berr(err, 0, "%s: %s: %u is listed twice", source, path, port);
    cfg->proxyless_ports[cfg->n_proxyless_ports++] = (uint16_t)port;
  }
  return 0;
}

static int parse_network(struct bottle_config *cfg, const cJSON *obj, const char *source,
                         bottle_error_t *err)
{
  static const char *const keys[] = {"link_pool", "uplink_pool",     "dns", "inbound",
                                     "proxyless", "proxyless_ports", NULL};
  struct json_where at = {source, "network"};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  const cJSON *item;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "link_pool")) &&
      parse_pool(&cfg->link_pool, item, source, "network.link_pool", "10.231.0.0/24", err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "uplink_pool")) &&
      parse_pool(&cfg->uplink_pool, item, source, "network.uplink_pool", "10.232.0.0/16", err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "proxyless")) &&
      parse_bool(item, source, "network.proxyless", &cfg->proxyless, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "proxyless_ports")) &&
      parse_proxyless_ports(cfg, item, source, err) < 0)
    return -1;
  if (cfg->proxyless && (cfg->sidecar_port == CFG_PROXYLESS_DNS_PORT ||
                         cfg->sidecar_port == CFG_PROXYLESS_REDIRECT_PORT))
    return berr(err, 0,
                "%s: sidecar.port %u is a port of bottle's own resolver or redirector, which "
                "network.proxyless needs; choose another sidecar.port",
                source, cfg->sidecar_port);
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "inbound"))) {
    struct json_where iat = {source, "network.inbound"};
    char shown[128];
    if (json_expect(item, cJSON_String, iat, err) < 0)
      return -1;
    const char *v = item->valuestring;
    if (cfg_inbound_parse(v, &cfg->inbound) < 0)
      return berr(err, 0,
                  "%s: network.inbound: %s is not a setting; use \"tcp\" (the engine's "
                  "connections to the container reach the agent) or \"none\"",
                  source, cfg_quote(v, strlen(v), shown, sizeof(shown)));
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "dns"))) {
    struct json_where dat = {source, "network.dns"};
    if (json_expect(item, cJSON_Array, dat, err) < 0)
      return -1;
    if (cJSON_GetArraySize(item) > CFG_MAX_DNS)
      return berr(err, 0, "%s: network.dns: has %d entries; resolv.conf uses at most %d", source,
                  cJSON_GetArraySize(item), CFG_MAX_DNS);
    size_t i = 0;
    for (const cJSON *dns = item->child; dns; dns = dns->next, i++) {
      char path[64], shown[128];
      struct json_where here = {source, json_path_index(path, sizeof(path), "network.dns", i)};
      if (json_expect(dns, cJSON_String, here, err) < 0)
        return -1;
      const char *v = dns->valuestring;
      uint32_t addr;
      if (ipv4_parse(v, strlen(v), &addr) < 0)
        return berr(err, 0,
                    "%s: %s: %s is not a canonical IPv4 address (four numbers 0-255 "
                    "without leading zeros), e.g. \"192.0.2.53\"",
                    source, path, cfg_quote(v, strlen(v), shown, sizeof(shown)));
      struct cfg_ipv4_net single = {.addr = addr, .prefix = 32};
      const char *reserved = reserved_overlap(&single);
      if (reserved)
        return berr(err, 0,
                    "%s: %s: %s is a %s address, which the sidecar cannot use as a "
                    "resolver; give a reachable DNS server",
                    source, path, cfg_quote(v, strlen(v), shown, sizeof(shown)), reserved);
      for (size_t j = 0; j < cfg->n_dns; j++)
        if (cfg->dns[j] == addr)
          return berr(err, 0, "%s: %s: %s is listed twice", source, path,
                      cfg_quote(v, strlen(v), shown, sizeof(shown)));
      cfg->dns[cfg->n_dns++] = addr;
    }
  }
  if (ipv4_nets_overlap(&cfg->link_pool, &cfg->uplink_pool))
    return berr(err, 0,
                "%s: network: link_pool %s and uplink_pool %s overlap; give them disjoint "
                "ranges",
                source, cfg->link_pool.text, cfg->uplink_pool.text);
  return 0;
}

/* An SSH target's Hostname becomes an SSRF exemption (ssrf.ip_allowlist, trusted_domains): one
 * on the sidecar's own loopback, link-local (cloud metadata), multicast or bottle's own link
 * ranges would open the proxy's side of the boundary to the agent. Checked once the pools are
 * known (network may follow bottles in the file). */
static int check_ssh_hostnames(const struct bottle_config *cfg, const char *source,
                               bottle_error_t *err)
{
  for (size_t p = 0; p < cfg->n_profiles; p++) {
    const struct cfg_profile *prof = &cfg->profiles[p];
    for (size_t i = 0; i < prof->n_ssh; i++) {
      const char *h = prof->ssh[i].hostname;
      char ppath[320], spath[340], ipath[360], path[380], what[96];
      json_path_key(ppath, sizeof(ppath), "bottles", prof->name);
      json_path_key(spath, sizeof(spath), ppath, "ssh");
      json_path_index(ipath, sizeof(ipath), spath, i);
      json_path_key(path, sizeof(path), ipath, "Hostname");
      what[0] = '\0';
      if (!prof->ssh[i].hostname_is_ipv4) {
        size_t n = strlen(h);
        if (strcmp(h, "localhost") == 0 || (n > 10 && strcmp(h + n - 10, ".localhost") == 0))
          snprintf(what, sizeof(what), "names the loopback host");
      } else {
        uint32_t addr;
        ipv4_parse(h, strlen(h), &addr);
        struct cfg_ipv4_net single = {.addr = addr, .prefix = 32};
        const char *reserved = reserved_overlap(&single);
        if (reserved)
          snprintf(what, sizeof(what), "is a %s address", reserved);
        else if (ipv4_nets_overlap(&single, &cfg->link_pool))
          snprintf(what, sizeof(what), "is in network.link_pool %s (bottle's own links)",
                   cfg->link_pool.text);
        else if (ipv4_nets_overlap(&single, &cfg->uplink_pool))
          snprintf(what, sizeof(what), "is in network.uplink_pool %s (bottle's own links)",
                   cfg->uplink_pool.text);
      }
      if (what[0])
        return berr(err, 0,
                    "%s: %s: \"%s\" %s, which would exempt the proxy's own side from its "
                    "SSRF check; give the SSH server's address or name on the network",
                    source, path, h, what);
    }
  }
  return 0;
}

static int parse_bool(const cJSON *item, const char *source, const char *path, bool *out,
                      bottle_error_t *err)
{
  if (!cJSON_IsBool(item))
    return berr(err, 0, "%s: %s: expected true or false, got %s", source, path,
                json_type_name(item));
  *out = cJSON_IsTrue(item);
  return 0;
}

static int parse_trust_input(struct cfg_trust *t, const struct bottle_config *cfg, const cJSON *obj,
                             const char *source, const char *path, bottle_error_t *err)
{
  static const char *const keys[] = {"plain", "profiles", "extra_hosts", NULL};
  struct json_where at = {source, path};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  char sub[64], shown[128];
  const cJSON *item;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "plain")) &&
      parse_bool(item, source, json_path_key(sub, sizeof(sub), path, "plain"), &t->plain, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "extra_hosts")) &&
      parse_bool(item, source, json_path_key(sub, sizeof(sub), path, "extra_hosts"),
                 &t->extra_hosts, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "profiles"))) {
    struct json_where here = {source, json_path_key(sub, sizeof(sub), path, "profiles")};
    if (json_expect(item, cJSON_Array, here, err) < 0)
      return -1;
    size_t i = 0;
    for (const cJSON *name = item->child; name; name = name->next, i++) {
      char npath[96];
      struct json_where nat = {source, json_path_index(npath, sizeof(npath), sub, i)};
      if (json_expect(name, cJSON_String, nat, err) < 0)
        return -1;
      const char *v = name->valuestring;
      if (strcmp(v, "*") == 0) {
        t->any_profile = true;
      } else if (cfg_find_profile(cfg, v) == NULL) {
        return berr(err, 0,
                    "%s: %s: %s is not a profile defined under \"bottles\"; name one, or "
                    "write [\"*\"] for any",
                    source, npath, cfg_quote(v, strlen(v), shown, sizeof(shown)));
      } else if (strlist_add(&t->profiles, v) < 0) {
        return berr(err, 0, "out of memory");
      }
    }
    if (t->any_profile && i > 1)
      return berr(err, 0, "%s: %s: \"*\" already allows every profile; write [\"*\"] alone", source,
                  sub);
  }
  return 0;
}

static int parse_trust(struct bottle_config *cfg, const cJSON *obj, const char *source,
                       bottle_error_t *err)
{
  static const char *const keys[] = {"annotations", "env", NULL};
  struct json_where at = {source, "trust"};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  const cJSON *item;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "annotations")) &&
      parse_trust_input(&cfg->trust_annotations, cfg, item, source, "trust.annotations", err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(obj, "env"))) {
    if (cfg->trust_container_env)
      return berr(err, 0,
                  "%s: trust.env: \"trust_container_env\": true already lets the container "
                  "env do everything; remove one of the two (trust.env says what exactly)",
                  source);
    if (parse_trust_input(&cfg->trust_env, cfg, item, source, "trust.env", err) < 0)
      return -1;
  }
  return 0;
}

static int parse_root(struct bottle_config *cfg, const cJSON *root, const char *source,
                      bottle_error_t *err)
{
  static const char *const keys[] = {
      "mode", "trust_container_env", "trust", "sidecar", "egress", "bottles", "network", "agent",
      NULL};
  struct json_where at = {source, ""};
  if (!cJSON_IsObject(root))
    return berr(err, 0, "%s: the top level must be a JSON object ({...}), got %s", source,
                json_type_name(root));
  if (json_check_keys(root, keys, at, err) < 0)
    return -1;
  const cJSON *item;
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "mode"))) {
    struct json_where here = {source, "mode"};
    if (parse_mode_value(item, here, &cfg->mode, err) < 0)
      return -1;
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "trust_container_env"))) {
    if (parse_bool(item, source, "trust_container_env", &cfg->trust_container_env, err) < 0)
      return -1;
    cfg->trust_env.plain = cfg->trust_env.extra_hosts = cfg->trust_env.any_profile =
        cfg->trust_container_env;
  }
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "sidecar")) &&
      parse_sidecar(cfg, item, source, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "egress")) &&
      parse_egress(cfg, item, source, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "bottles")) &&
      cfg_parse_bottles(cfg, item, source, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "network")) &&
      parse_network(cfg, item, source, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "trust")) &&
      parse_trust(cfg, item, source, err) < 0)
    return -1;
  if ((item = cJSON_GetObjectItemCaseSensitive(root, "agent")) &&
      cfg_parse_agent(&cfg->agent, item, source, err) < 0)
    return -1;
  return check_ssh_hostnames(cfg, source, err);
}

static int parse_text(struct bottle_config *cfg, const char *json, size_t len, const char *source,
                      bottle_error_t *err)
{
  const char *nul = memchr(json, '\0', len);
  if (nul)
    return fail_at(source, json, len, (size_t)(nul - json), "NUL byte in the file", err);
  size_t lead = 0;
  while (lead < len && strchr(" \t\r\n", json[lead]))
    lead++;
  if (lead == len)
    return berr(err, 0, "%s: the file is empty; write {} for the built-in defaults", source);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
  if (root == NULL) {
    size_t offset = end && end >= json ? (size_t)(end - json) : 0;
    return fail_at(source, json, len, offset, "malformed JSON", err);
  }
  size_t offset = (size_t)(end - json);
  while (offset < len && strchr(" \t\r\n", json[offset]))
    offset++;
  int rc = 0;
  if (offset < len)
    rc = fail_at(source, json, len, offset, "unexpected text after the JSON object", err);
  else
    rc = parse_root(cfg, root, source, err);
  cJSON_Delete(root);
  return rc;
}

static int apply_host_env(struct bottle_config *cfg, char *const *host_env, bottle_error_t *err)
{
  const char *value = env_lookup(host_env, "BOTTLE_DEFAULT_ALLOWLIST");
  if (value == NULL || value[strspn(value, " \t")] == '\0')
    return 0; /* unset or empty: keep the file's list (as ${VAR:-default} would) */
  struct cfg_strlist list = {0};
  if (hostlist_add_csv(&list, value, "host env BOTTLE_DEFAULT_ALLOWLIST", err) < 0) {
    strlist_free(&list);
    return -1;
  }
  strlist_free(&cfg->default_allowlist);
  cfg->default_allowlist = list;
  return 0;
}

int cfg_parse(const char *json, size_t len, const char *source, char *const *host_env,
              struct bottle_config **out, bottle_error_t *err)
{
  berr_clear(err);
  *out = NULL;
  struct bottle_config *cfg = calloc(1, sizeof(*cfg));
  if (cfg == NULL)
    return berr(err, 0, "out of memory");
  if ((cfg->source = dup_or_null(json ? (source ? source : "bottle.json") : "built-in defaults")) ==
          NULL ||
      set_defaults(cfg, err) < 0 || (json && parse_text(cfg, json, len, cfg->source, err) < 0) ||
      apply_host_env(cfg, host_env, err) < 0) {
    berr(err, 0, "out of memory");
    cfg_free(cfg);
    return -1;
  }
  *out = cfg;
  return 0;
}

static int read_file(const char *path, char **text, size_t *len, bottle_error_t *err)
{
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return -1;
  size_t cap = 4096, used = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (used == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    size_t n = fread(buf + used, 1, cap - used, f);
    used += n;
    if (n == 0)
      break;
    if (used > CFG_MAX_FILE) {
      free(buf);
      fclose(f);
      errno = EFBIG;
      return berr(err, 0, "%s: larger than %d bytes; is this the right file?", path, CFG_MAX_FILE);
    }
  }
  int failed = buf == NULL || ferror(f);
  int saved = errno;
  fclose(f);
  if (failed) {
    free(buf);
    errno = saved ? saved : ENOMEM;
    return berr(err, errno, "%s: cannot read", path);
  }
  *text = buf;
  *len = used;
  return 0;
}

int cfg_load_from(const char *path, char *const *host_env, const char *default_path,
                  struct bottle_config **out, bottle_error_t *err)
{
  berr_clear(err);
  *out = NULL;
  const char *how = "--config";
  if (path == NULL && (path = env_lookup(host_env, "BOTTLE_CONFIG")) != NULL)
    how = "BOTTLE_CONFIG";
  if (path != NULL && path[0] == '\0')
    return berr(err, 0, "%s is empty; give the path of a bottle.json", how);
  bool explicit_path = path != NULL;
  if (!explicit_path)
    path = default_path;
  char *text = NULL;
  size_t len = 0;
  if (read_file(path, &text, &len, err) < 0) {
    if (err && err->set)
      return -1;
    if (errno == ENOENT && !explicit_path)
      return cfg_parse(NULL, 0, NULL, host_env, out, err);
    if (errno == ENOENT)
      return berr(err, 0, "%s: no such file (named by %s); create it or fix the path", path, how);
    return berr(err, errno, "%s: cannot open", path);
  }
  int rc = cfg_parse(text, len, path, host_env, out, err);
  free(text);
  return rc;
}

int cfg_load(const char *path, char *const *host_env, struct bottle_config **out,
             bottle_error_t *err)
{
  return cfg_load_from(path, host_env, CFG_DEFAULT_PATH, out, err);
}

void cfg_free(struct bottle_config *cfg)
{
  if (cfg == NULL)
    return;
  free(cfg->source);
  free(cfg->sidecar_bundle);
  cfg_argv_free(cfg->sidecar_args);
  strlist_free(&cfg->default_allowlist);
  cfg_agent_free(&cfg->agent);
  strlist_free(&cfg->trust_annotations.profiles);
  strlist_free(&cfg->trust_env.profiles);
  for (size_t i = 0; i < cfg->n_profiles; i++) {
    free(cfg->profiles[i].name);
    strlist_free(&cfg->profiles[i].allowlist);
    ssh_targets_free(cfg->profiles[i].ssh, cfg->profiles[i].n_ssh);
  }
  free(cfg->profiles);
  free(cfg);
}

const char *cfg_mode_name(enum bottle_mode mode)
{
  return mode == BOTTLE_MODE_PLAIN ? "plain" : "bottled";
}

int cfg_mode_parse(const char *s, enum bottle_mode *mode)
{
  if (strcmp(s, "bottled") == 0)
    *mode = BOTTLE_MODE_BOTTLED;
  else if (strcmp(s, "plain") == 0)
    *mode = BOTTLE_MODE_PLAIN;
  else
    return -1;
  return 0;
}

int cfg_inbound_parse(const char *s, bool *inbound)
{
  if (strcmp(s, "tcp") == 0)
    *inbound = true;
  else if (strcmp(s, "none") == 0)
    *inbound = false;
  else
    return -1;
  return 0;
}

/* The pipelock YAML: every key path bottle emits is checked against the pipelock 2.3.0 schema
 * (kept here, from ../shared/reference/pipelock.md §1.2: pipelock rejects unknown keys at any
 * depth and retyped scalars), then the document is re-read with libyaml to check scalar styles
 * (strings double-quoted, bools and ints plain) and that every value round-trips. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/policy.h"
#include "tests/unit/unit.h"

enum kind { K_MAP, K_STRING, K_BOOL, K_INT, K_FLOAT, K_STRINGS, K_LIST };

/* pipelock 2.3.0 key paths (internal/config/schema.go as summarised in pipelock.md §1.2). */
static const struct {
  const char *path;
  enum kind kind;
  bool forbidden; /* exists, but bottle must never emit it */
} pipelock_keys[] = {
    {"version", K_INT, false},
    {"mode", K_STRING, false},
    {"enforce", K_BOOL, false},
    {"explain_blocks", K_BOOL, false},
    {"api_allowlist", K_STRINGS, false},
    {"forward_proxy", K_MAP, false},
    {"forward_proxy.enabled", K_BOOL, false},
    {"forward_proxy.max_tunnel_seconds", K_INT, false},
    {"forward_proxy.idle_timeout_seconds", K_INT, false},
    {"forward_proxy.sni_verification", K_BOOL, false},
    {"forward_proxy.redirect_websocket_hosts", K_STRINGS, false},
    {"dlp", K_MAP, false},
    {"dlp.scan_env", K_BOOL, false},
    {"dlp.include_defaults", K_BOOL, false},
    {"dlp.patterns", K_LIST, false},
    {"dlp.secrets_file", K_STRING, false},
    {"dlp.min_env_secret_length", K_INT, false},
    {"dlp.action", K_STRING, true}, /* reserved: any value fails validation */
    {"ssrf", K_MAP, false},
    {"ssrf.ip_allowlist", K_STRINGS, false},
    {"trusted_domains", K_STRINGS, false},
    {"internal", K_STRINGS, true}, /* an empty list disables the SSRF check */
    {"fetch_proxy", K_MAP, false},
    {"fetch_proxy.listen", K_STRING, false},
    {"fetch_proxy.monitoring", K_MAP, false},
    {"fetch_proxy.monitoring.max_requests_per_minute", K_INT, false},
    {"fetch_proxy.monitoring.subdomain_entropy_threshold", K_FLOAT, false},
    {"fetch_proxy.monitoring.subdomain_entropy_exclusions", K_STRINGS, false},
    {"metrics_listen", K_STRING, false},
    {"sentry", K_MAP, true},
    {"sentry.enabled", K_BOOL, true},
    {"sentry.dsn", K_STRING, true},
};

static int schema_index(const char *path)
{
  for (size_t i = 0; i < sizeof(pipelock_keys) / sizeof(pipelock_keys[0]); i++)
    if (strcmp(pipelock_keys[i].path, path) == 0)
      return (int)i;
  return -1;
}

/* What the walk saw, for the round-trip checks. */
struct seen {
  char paths[64][96];
  size_t n_paths;
  char *api[64];
  size_t n_api;
  char *ssrf[16];
  size_t n_ssrf;
  char *trusted[16];
  size_t n_trusted;
  char listen[64];
  char metrics_listen[64];
  char scalars[32][2][96]; /* path, value of plain scalars */
  size_t n_scalars;
};

static bool is_plain(yaml_node_t *n)
{
  return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_quoted(yaml_node_t *n)
{
  return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

static const char *text(yaml_node_t *n)
{
  return (const char *)n->data.scalar.value;
}

static bool all_digits(const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static void walk(yaml_document_t *doc, yaml_node_t *map, const char *prefix, struct seen *seen)
{
  CHECK(map->type == YAML_MAPPING_NODE);
  if (map->type != YAML_MAPPING_NODE)
    return;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(doc, p->key);
    yaml_node_t *v = yaml_document_get_node(doc, p->value);
    CHECK(is_plain(k));
    char path[96];
    snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", text(k));
    for (size_t i = 0; i < seen->n_paths; i++)
      CHECK(strcmp(seen->paths[i], path) != 0); /* no duplicate keys */
    if (seen->n_paths < 64)
      snprintf(seen->paths[seen->n_paths++], 96, "%s", path);
    int idx = schema_index(path);
    if (idx < 0 || pipelock_keys[idx].forbidden) {
      printf("    key path not allowed in pipelock 2.3.0 config: %s\n", path);
      CHECK(idx >= 0 && !pipelock_keys[idx].forbidden);
      continue;
    }
    switch (pipelock_keys[idx].kind) {
    case K_MAP:
      walk(doc, v, path, seen);
      break;
    case K_STRING:
      CHECK(is_quoted(v));
      if (strcmp(path, "fetch_proxy.listen") == 0)
        snprintf(seen->listen, sizeof(seen->listen), "%s", text(v));
      if (strcmp(path, "metrics_listen") == 0)
        snprintf(seen->metrics_listen, sizeof(seen->metrics_listen), "%s", text(v));
      break;
    case K_BOOL:
      CHECK(is_plain(v) && (strcmp(text(v), "true") == 0 || strcmp(text(v), "false") == 0));
      break;
    case K_INT:
      CHECK(is_plain(v) && all_digits(text(v)));
      break;
    case K_FLOAT:
    case K_LIST:
      CHECK(!"bottle does not emit these");
      break;
    case K_STRINGS:
      CHECK(v->type == YAML_SEQUENCE_NODE);
      if (v->type != YAML_SEQUENCE_NODE)
        break;
      for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
           it++) {
        yaml_node_t *item = yaml_document_get_node(doc, *it);
        CHECK(is_quoted(item));
        char *copy = strdup(text(item));
        if (strcmp(path, "api_allowlist") == 0 && seen->n_api < 64)
          seen->api[seen->n_api++] = copy;
        else if (strcmp(path, "ssrf.ip_allowlist") == 0 && seen->n_ssrf < 16)
          seen->ssrf[seen->n_ssrf++] = copy;
        else if (strcmp(path, "trusted_domains") == 0 && seen->n_trusted < 16)
          seen->trusted[seen->n_trusted++] = copy;
        else
          free(copy);
      }
      break;
    }
    if (is_plain(v) && seen->n_scalars < 32) {
      snprintf(seen->scalars[seen->n_scalars][0], 96, "%s", path);
      snprintf(seen->scalars[seen->n_scalars][1], 96, "%s", text(v));
      seen->n_scalars++;
    }
  }
}

static const char *plain_value(const struct seen *seen, const char *path)
{
  for (size_t i = 0; i < seen->n_scalars; i++)
    if (strcmp(seen->scalars[i][0], path) == 0)
      return seen->scalars[i][1];
  return NULL;
}

static bool has_path(const struct seen *seen, const char *path)
{
  for (size_t i = 0; i < seen->n_paths; i++)
    if (strcmp(seen->paths[i], path) == 0)
      return true;
  return false;
}

static void seen_free(struct seen *seen)
{
  for (size_t i = 0; i < seen->n_api; i++)
    free(seen->api[i]);
  for (size_t i = 0; i < seen->n_ssrf; i++)
    free(seen->ssrf[i]);
  for (size_t i = 0; i < seen->n_trusted; i++)
    free(seen->trusted[i]);
}

/* Re-reads yaml: one document, no anchors or aliases, every key known; fills seen. */
static void reread(const char *yaml, size_t len, struct seen *seen)
{
  memset(seen, 0, sizeof(*seen));
  /* Events first: anchors, aliases and explicit tags must not appear. */
  yaml_parser_t parser;
  yaml_event_t ev;
  CHECK(yaml_parser_initialize(&parser));
  yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
  int documents = 0;
  for (bool done = false; !done;) {
    if (!yaml_parser_parse(&parser, &ev)) {
      CHECK(!"YAML parses");
      break;
    }
    documents += ev.type == YAML_DOCUMENT_START_EVENT;
    CHECK(ev.type != YAML_ALIAS_EVENT);
    if (ev.type == YAML_SCALAR_EVENT)
      CHECK(ev.data.scalar.anchor == NULL && ev.data.scalar.tag == NULL);
    if (ev.type == YAML_MAPPING_START_EVENT)
      CHECK(ev.data.mapping_start.anchor == NULL);
    if (ev.type == YAML_SEQUENCE_START_EVENT)
      CHECK(ev.data.sequence_start.anchor == NULL);
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  CHECK(documents == 1);

  yaml_document_t doc;
  CHECK(yaml_parser_initialize(&parser));
  yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
  CHECK(yaml_parser_load(&parser, &doc));
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  CHECK(root != NULL);
  if (root)
    walk(&doc, root, "", seen);
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
}

static struct bottle_config *config(const char *json)
{
  static char *const no_env[] = {NULL};
  struct bottle_config *cfg = NULL;
  bottle_error_t err = {0};
  if (cfg_parse(json, strlen(json), "bottle.json", no_env, &cfg, &err) < 0)
    printf("    %s\n", err.msg);
  return cfg;
}

static const char *forge_json =
    "{\"bottles\": {\"forge\": {\n"
    "  \"egress\": {\"allowlist\": [\"*.sentry.io\", \"null\", \"true\", \"1e3\", \"on\"]},\n"
    "  \"ssh\": [{\"Host\": \"tail\", \"Hostname\": \"100.101.102.103\", \"Port\": 30009},\n"
    "          {\"Host\": \"lan\", \"Hostname\": \"10.20.0.5\", \"Port\": 22},\n"
    "          {\"Host\": \"git\", \"Hostname\": \"git.corp.example\", \"Port\": 22}]}}}";

static void check_round_trip(const struct bottle_policy *pol, const char *listen_ip, unsigned port)
{
  size_t len = 0;
  bottle_error_t err = {0};
  char *yaml = cfg_pipelock_yaml(pol, listen_ip, port, &len, &err);
  CHECK(yaml != NULL);
  if (yaml == NULL) {
    printf("    %s\n", err.msg);
    return;
  }
  CHECK(strlen(yaml) == len);
  struct seen seen;
  reread(yaml, len, &seen);
  /* The fixed part of the document. */
  CHECK_STREQ(plain_value(&seen, "version"), "1");
  CHECK_STREQ(plain_value(&seen, "enforce"), "true");
  CHECK_STREQ(plain_value(&seen, "forward_proxy.enabled"), "true");
  CHECK_STREQ(plain_value(&seen, "dlp.include_defaults"), "true");
  CHECK_STREQ(plain_value(&seen, "dlp.scan_env"), "true");
  CHECK_CONTAINS(yaml, "mode: \"strict\"\n");
  char listen[64];
  snprintf(listen, sizeof(listen), "%s:%u", listen_ip, port);
  CHECK_STREQ(seen.listen, listen);
  /* /metrics and /stats off the proxy listener the agent reaches: on the sidecar's loopback, on
   * a port other than the proxy's (pipelock refuses the same port, whatever the address). */
  CHECK(strncmp(seen.metrics_listen, "127.0.", 6) == 0);
  char proxy_port[16];
  snprintf(proxy_port, sizeof(proxy_port), "%u", port);
  const char *mport = strchr(seen.metrics_listen, ':');
  CHECK(mport && strcmp(mport + 1, proxy_port) != 0);
  /* Lists: same entries, same order. */
  CHECK(seen.n_api == pol->allowlist.len);
  for (size_t i = 0; i < seen.n_api && i < pol->allowlist.len; i++)
    CHECK_STREQ(seen.api[i], pol->allowlist.items[i]);
  CHECK(seen.n_ssrf == pol->ssrf_ip_allowlist.len);
  for (size_t i = 0; i < seen.n_ssrf && i < pol->ssrf_ip_allowlist.len; i++)
    CHECK_STREQ(seen.ssrf[i], pol->ssrf_ip_allowlist.items[i]);
  CHECK(seen.n_trusted == pol->trusted_domains.len);
  for (size_t i = 0; i < seen.n_trusted && i < pol->trusted_domains.len; i++)
    CHECK_STREQ(seen.trusted[i], pol->trusted_domains.items[i]);
  /* Conditional parts. */
  if (pol->max_requests_per_minute > 0) {
    char rate[16];
    snprintf(rate, sizeof(rate), "%u", pol->max_requests_per_minute);
    CHECK_STREQ(plain_value(&seen, "fetch_proxy.monitoring.max_requests_per_minute"), rate);
  } else {
    CHECK(!has_path(&seen, "fetch_proxy.monitoring"));
  }
  CHECK(has_path(&seen, "ssrf") == (pol->ssrf_ip_allowlist.len > 0));
  CHECK(has_path(&seen, "trusted_domains") == (pol->trusted_domains.len > 0));
  if (pol->n_ssh > 0) {
    CHECK_STREQ(plain_value(&seen, "forward_proxy.max_tunnel_seconds"), "28800");
    CHECK_STREQ(plain_value(&seen, "forward_proxy.idle_timeout_seconds"), "900");
  } else {
    CHECK(!has_path(&seen, "forward_proxy.max_tunnel_seconds"));
    CHECK(!has_path(&seen, "forward_proxy.idle_timeout_seconds"));
  }
  CHECK(!has_path(&seen, "internal") && !has_path(&seen, "dlp.action") &&
        !has_path(&seen, "sentry"));
  seen_free(&seen);
  free(yaml);
}

static void test_schema_defaults(void)
{
  struct bottle_config *cfg = config("{}");
  struct bottle_policy *pol = NULL;
  bottle_error_t err = {0};
  CHECK(cfg && cfg_resolve(cfg, NULL, &pol, &err) == 0);
  if (pol)
    check_round_trip(pol, "10.231.0.1", 8888);
  cfg_policy_free(pol);
  cfg_free(cfg);
}

/* A proxy on the metrics port itself moves the metrics to the next one. */
static void test_metrics_port_never_the_proxy_port(void)
{
  struct bottle_config *cfg = config("{}");
  struct bottle_policy *pol = NULL;
  bottle_error_t err = {0};
  CHECK(cfg && cfg_resolve(cfg, NULL, &pol, &err) == 0);
  char *yaml = pol ? cfg_pipelock_yaml(pol, "10.231.0.1", 9464, NULL, &err) : NULL;
  CHECK_CONTAINS(yaml, "\nmetrics_listen: \"127.0.0.1:9465\"\n");
  free(yaml);
  /* The second bottle in one engine's netns: its own metrics address. */
  yaml = pol ? cfg_pipelock_yaml(pol, "10.231.1.5", 8888, NULL, &err) : NULL;
  CHECK_CONTAINS(yaml, "\nmetrics_listen: \"127.0.1.5:9464\"\n");
  free(yaml);
  if (pol) {
    check_round_trip(pol, "10.231.0.1", 9464);
    check_round_trip(pol, "10.231.0.1", 9465);
  }
  cfg_policy_free(pol);
  cfg_free(cfg);
}

/* sidecar.max_requests_per_minute reaches pipelock's fetch_proxy.monitoring; a policy without
 * one (0) leaves the key out rather than write a 0 that pipelock would read as 60. */
static void test_rate_limit(void)
{
  struct bottle_config *cfg = config("{\"sidecar\": {\"max_requests_per_minute\": 7}}");
  struct bottle_policy *pol = NULL;
  bottle_error_t err = {0};
  CHECK(cfg && cfg_resolve(cfg, NULL, &pol, &err) == 0);
  CHECK(pol && pol->max_requests_per_minute == 7);
  char *yaml = pol ? cfg_pipelock_yaml(pol, "10.231.0.1", 8888, NULL, &err) : NULL;
  CHECK_CONTAINS(yaml, "\nfetch_proxy:\n  listen: \"10.231.0.1:8888\"\n  monitoring:\n"
                       "    max_requests_per_minute: 7\nmetrics_listen: ");
  free(yaml);
  if (pol) {
    check_round_trip(pol, "10.231.0.1", 8888);
    pol->max_requests_per_minute = 0;
    check_round_trip(pol, "10.231.0.1", 8888);
  }
  cfg_policy_free(pol);
  cfg_free(cfg);
}

static void test_schema_with_ssh_and_tricky_names(void)
{
  struct bottle_config *cfg = config(forge_json);
  struct bottle_policy *pol = NULL;
  bottle_error_t err = {0};
  struct cfg_container_input in = {.profile = "forge"};
  CHECK(cfg && cfg_resolve(cfg, &in, &pol, &err) == 0);
  if (pol) {
    /* "null", "true", "1e3" and "on" are valid names that YAML would retype if plain. */
    CHECK(strlist_contains(&pol->allowlist, "null") && strlist_contains(&pol->allowlist, "1e3"));
    check_round_trip(pol, "192.0.2.1", 65535);
  }
  cfg_policy_free(pol);
  cfg_free(cfg);
}

/* The whole document for a case like pipelock.md §7, byte for byte. */
static void test_exact_document(void)
{
  struct bottle_config *cfg = config(
      "{\"egress\": {\"default_allowlist\": [\"*.anthropic.com\", \"claude.ai\", \"*.sentry.io\"]},"
      " \"bottles\": {\"dev\": {\"ssh\": [{\"Host\": \"lan\", \"Hostname\": \"10.20.0.5\", "
      "\"Port\": 22}, {\"Host\": \"git\", \"Hostname\": \"git.corp.example\", \"Port\": 22}]}}}");
  struct bottle_policy *pol = NULL;
  bottle_error_t err = {0};
  struct cfg_container_input in = {.profile = "dev"};
  CHECK(cfg && cfg_resolve(cfg, &in, &pol, &err) == 0);
  char *yaml = pol ? cfg_pipelock_yaml(pol, "10.231.0.1", 8888, NULL, &err) : NULL;
  CHECK_STREQ(yaml, "version: 1\n"
                    "mode: \"strict\"\n"
                    "enforce: true\n"
                    "api_allowlist:\n"
                    "- \"*.anthropic.com\"\n"
                    "- \"*.sentry.io\"\n"
                    "- \"10.20.0.5\"\n"
                    "- \"claude.ai\"\n"
                    "- \"git.corp.example\"\n"
                    "fetch_proxy:\n"
                    "  listen: \"10.231.0.1:8888\"\n"
                    "  monitoring:\n"
                    "    max_requests_per_minute: 600\n"
                    "metrics_listen: \"127.0.0.1:9464\"\n"
                    "forward_proxy:\n"
                    "  enabled: true\n"
                    "  max_tunnel_seconds: 28800\n"
                    "  idle_timeout_seconds: 900\n"
                    "dlp:\n"
                    "  include_defaults: true\n"
                    "  scan_env: true\n"
                    "ssrf:\n"
                    "  ip_allowlist:\n"
                    "  - \"10.20.0.5/32\"\n"
                    "trusted_domains:\n"
                    "- \"git.corp.example\"\n");
  free(yaml);
  cfg_policy_free(pol);
  cfg_free(cfg);
}

static void test_no_env_values_or_secrets(void)
{
  struct bottle_config *cfg = config("{\"trust_container_env\": true}");
  cJSON *ann = cJSON_Parse("{\"com.example.token\": \"ghp_annotationsecretvalue0123456789\"}");
  char *const env[] = {"ANTHROPIC_API_KEY=sk-ant-api03-supersecretvalue0123456789",
                       "GITHUB_TOKEN=ghp_envsecretvalue0123456789abcdef",
                       "BOTTLE_EGRESS_ALLOWLIST=ok.example", NULL};
  struct cfg_container_input in = {.annotations = ann, .env = env};
  struct bottle_policy *pol = NULL;
  bottle_error_t err = {0};
  CHECK(cfg && cfg_resolve(cfg, &in, &pol, &err) == 0);
  char *yaml = pol ? cfg_pipelock_yaml(pol, "10.231.0.1", 8888, NULL, &err) : NULL;
  CHECK(yaml != NULL);
  if (yaml) {
    CHECK(strstr(yaml, "ok.example") != NULL);
    CHECK(strstr(yaml, "sk-ant") == NULL);
    CHECK(strstr(yaml, "secretvalue") == NULL);
    CHECK(strstr(yaml, "ANTHROPIC_API_KEY") == NULL);
    CHECK(strstr(yaml, "GITHUB_TOKEN") == NULL);
    CHECK(strstr(yaml, "internal") == NULL);
    CHECK(strstr(yaml, "sentry:") == NULL);
    CHECK(strstr(yaml, "action") == NULL);
  }
  free(yaml);
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  cfg_free(cfg);
}

/* A policy put together by hand must not smuggle anything into the YAML. */
static void test_refuses_unvalidated_policy(void)
{
  bottle_error_t err = {0};
  struct bottle_policy pol = {0};
  CHECK(cfg_pipelock_yaml(&pol, "10.231.0.1", 8888, NULL, &err) == NULL);
  CHECK_STREQ(err.msg, "pipelock config: api_allowlist is empty; strict mode needs at least one "
                       "allowed host");
  strlist_add(&pol.allowlist, "a.example\ninternal: []");
  CHECK(cfg_pipelock_yaml(&pol, "10.231.0.1", 8888, NULL, &err) == NULL);
  CHECK_STREQ(err.msg, "pipelock config: api_allowlist entry \"a.example\\x0ainternal: []\" is not "
                       "a normalised host");
  strlist_free(&pol.allowlist);
  strlist_add(&pol.allowlist, "A.example");
  CHECK(cfg_pipelock_yaml(&pol, "10.231.0.1", 8888, NULL, &err) == NULL);
  CHECK_CONTAINS(err.msg, "\"A.example\" is not a normalised host");
  strlist_free(&pol.allowlist);
  strlist_add(&pol.allowlist, "a.example");
  strlist_add(&pol.ssrf_ip_allowlist, "10.0.0.0/8");
  CHECK(cfg_pipelock_yaml(&pol, "10.231.0.1", 8888, NULL, &err) == NULL);
  CHECK_STREQ(err.msg, "pipelock config: ssrf.ip_allowlist entry \"10.0.0.0/8\" is not a "
                       "canonical /32");
  strlist_free(&pol.ssrf_ip_allowlist);
  strlist_add(&pol.trusted_domains, "10.0.0.1");
  CHECK(cfg_pipelock_yaml(&pol, "10.231.0.1", 8888, NULL, &err) == NULL);
  CHECK_STREQ(err.msg, "pipelock config: trusted_domains entry \"10.0.0.1\" is not a host name");
  strlist_free(&pol.trusted_domains);
  CHECK(cfg_pipelock_yaml(&pol, "0x0a.0.0.1", 8888, NULL, &err) == NULL);
  CHECK_STREQ(err.msg, "pipelock config: listen address \"0x0a.0.0.1\" is not a canonical IPv4 "
                       "address");
  CHECK(cfg_pipelock_yaml(&pol, "10.231.0.1", 70000, NULL, &err) == NULL);
  CHECK_STREQ(err.msg, "pipelock config: listen port 70000 is out of range 1-65535");
  char *yaml = cfg_pipelock_yaml(&pol, "10.231.0.1", 8888, NULL, &err);
  CHECK(yaml != NULL && !err.set);
  free(yaml);
  strlist_free(&pol.allowlist);
}

/* Long names stay on one line (no folding of double-quoted scalars). */
static void test_long_names_not_folded(void)
{
  struct bottle_policy pol = {0};
  char name[254];
  memset(name, 'a', sizeof(name));
  for (size_t i = 63; i < 253; i += 64)
    name[i] = '.';
  name[253] = '\0';
  strlist_add(&pol.allowlist, name);
  bottle_error_t err = {0};
  char *yaml = cfg_pipelock_yaml(&pol, "10.231.0.1", 8888, NULL, &err);
  CHECK(yaml != NULL);
  char line[300];
  snprintf(line, sizeof(line), "\n- \"%s\"\n", name);
  CHECK_CONTAINS(yaml, line);
  free(yaml);
  strlist_free(&pol.allowlist);
}

/* docs/configuration.md's example bottle.json gives exactly the YAML printed there. */
static char *fenced_block(const char *doc, const char *fence, const char *starts_with)
{
  for (const char *p = strstr(doc, fence); p; p = strstr(p + 1, fence)) {
    const char *body = p + strlen(fence);
    if (strncmp(body, starts_with, strlen(starts_with)) != 0)
      continue;
    const char *end = strstr(body, "```");
    return end ? strndup(body, (size_t)(end - body)) : NULL;
  }
  return NULL;
}

static void test_documented_example(void)
{
  const char *top = getenv("BOTTLE_TOP");
  char path[512];
  snprintf(path, sizeof(path), "%s/docs/configuration.md", top ? top : ".");
  FILE *f = fopen(path, "r");
  CHECK(f != NULL);
  if (f == NULL)
    return;
  static char doc[128 * 1024];
  size_t n = fread(doc, 1, sizeof(doc) - 1, f);
  doc[n] = '\0';
  fclose(f);
  char *json = fenced_block(doc, "```json\n", "{\n  \"mode\"");
  char *want = fenced_block(doc, "```yaml\n", "version: 1");
  CHECK(json != NULL && want != NULL);
  struct bottle_config *cfg = json ? config(json) : NULL;
  struct bottle_policy *pol = NULL;
  bottle_error_t err = {0};
  struct cfg_container_input in = {.profile = "dev"};
  CHECK(cfg && cfg_resolve(cfg, &in, &pol, &err) == 0);
  char *yaml = pol ? cfg_pipelock_yaml(pol, "10.231.0.1", cfg->sidecar_port, NULL, &err) : NULL;
  CHECK_STREQ(yaml, want);
  char *line = pol ? cfg_summary(pol) : NULL;
  if (line) {
    CHECK_CONTAINS(doc, line);
    free(line);
  }
  free(yaml);
  cfg_policy_free(pol);
  cfg_free(cfg);
  free(json);
  free(want);
}

int main(void)
{
  RUN(test_schema_defaults);
  RUN(test_schema_with_ssh_and_tricky_names);
  RUN(test_metrics_port_never_the_proxy_port);
  RUN(test_rate_limit);
  RUN(test_exact_document);
  RUN(test_no_env_values_or_secrets);
  RUN(test_refuses_unvalidated_policy);
  RUN(test_long_names_not_folded);
  RUN(test_documented_example);
  return unit_finish();
}

/* The runtime config (bottle.json): defaults, every key, every rejection, and where the file is
 * looked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/policy.h"
#include "tests/unit/unit.h"

static char *const no_env[] = {NULL};
static bottle_error_t err;

static struct bottle_config *parse_env(const char *json, char *const *env)
{
  struct bottle_config *cfg = NULL;
  berr_clear(&err);
  if (cfg_parse(json, json ? strlen(json) : 0, "/etc/bottle/bottle.json", env, &cfg, &err) < 0) {
    CHECK(cfg == NULL);
    CHECK(err.set);
    return NULL;
  }
  CHECK(!err.set);
  return cfg;
}

static struct bottle_config *parse(const char *json)
{
  return parse_env(json, no_env);
}

/* Parsing json must fail with exactly msg. */
#define REJECTS(json, expect)                                                                      \
  do {                                                                                             \
    struct bottle_config *c_ = parse(json);                                                        \
    CHECK(c_ == NULL);                                                                             \
    cfg_free(c_);                                                                                  \
    CHECK_STREQ(err.msg, expect);                                                                  \
  } while (0)
/* Parsing json must fail with a message containing part. */
#define REJECTS_WITH(json, part)                                                                   \
  do {                                                                                             \
    struct bottle_config *c_ = parse(json);                                                        \
    CHECK(c_ == NULL);                                                                             \
    cfg_free(c_);                                                                                  \
    CHECK_CONTAINS(err.msg, part);                                                                 \
  } while (0)

static void test_defaults(void)
{
  struct bottle_config *cfg = parse(NULL);
  CHECK(cfg != NULL);
  if (cfg == NULL)
    return;
  CHECK_STREQ(cfg->source, "built-in defaults");
  CHECK(cfg->mode == BOTTLE_MODE_BOTTLED);
  CHECK(!cfg->trust_container_env);
  CHECK(cfg->sidecar_bundle == NULL);
  CHECK(cfg->n_sidecar_args == 6);
  CHECK_STREQ(cfg->sidecar_args[0], "/pipelock");
  CHECK_STREQ(cfg->sidecar_args[3], "{listen}");
  CHECK_STREQ(cfg->sidecar_args[5], "/etc/pipelock.yaml");
  CHECK(cfg->sidecar_args[6] == NULL);
  CHECK(cfg->sidecar_port == 8888);
  CHECK(cfg->sidecar_ready_timeout_ms == 5000);
  CHECK(cfg->sidecar_max_requests_per_minute == 600);
  CHECK_STREQ(cfg->sidecar_readiness_path, "/health");
  CHECK(cfg->sidecar_resources.cpus == 1.0);
  CHECK(cfg->sidecar_resources.memory_bytes == 256LL << 20);
  CHECK(cfg->sidecar_resources.pids == 256);
  CHECK(cfg->default_allowlist.len == 7);
  static const char *const sorted[] = {
      "api.anthropic.com",         "claude.ai", "downloads.claude.ai",  "platform.claude.com",
      "raw.githubusercontent.com", "sentry.io", "statsig.anthropic.com"};
  for (size_t i = 0; i < 7 && i < cfg->default_allowlist.len; i++)
    CHECK_STREQ(cfg->default_allowlist.items[i], sorted[i]);
  CHECK_STREQ(cfg->link_pool.text, "10.231.0.0/24");
  CHECK_STREQ(cfg->uplink_pool.text, "10.232.0.0/16");
  CHECK(cfg->n_dns == 0);
  CHECK(cfg->n_profiles == 0);
  cfg_free(cfg);

  /* {} is the same as no file. */
  cfg = parse("{ }\n");
  CHECK(cfg != NULL && cfg->default_allowlist.len == 7 && cfg->sidecar_port == 8888);
  if (cfg)
    CHECK_STREQ(cfg->source, "/etc/bottle/bottle.json");
  cfg_free(cfg);
}

static void test_every_key(void)
{
  const char *json =
      "{\n"
      "  \"mode\": \"plain\",\n"
      "  \"trust_container_env\": true,\n"
      "  \"sidecar\": {\n"
      "    \"bundle\": \"/var/lib/bottle/pipelock\",\n"
      "    \"args\": [\"/pipelock\", \"run\", \"--listen={listen}\", \"--config\", "
      "\"/etc/pipelock.yaml\"],\n"
      "    \"port\": 3128,\n"
      "    \"ready_timeout_ms\": 20000,\n"
      "    \"max_requests_per_minute\": 1200\n"
      "  },\n"
      "  \"egress\": {\"default_allowlist\": [\"API.Anthropic.com.\", \"*.sentry.io\"]},\n"
      "  \"bottles\": {\n"
      "    \"dev\": {\n"
      "      \"egress\": {\"allowlist\": [\"api.openai.com\", \"registry.npmjs.org\"]},\n"
      "      \"ssh\": [\n"
      "        {\"Host\": \"forge\", \"Hostname\": \"10.20.0.5\", \"Port\": 30009, \"User\": "
      "\"git\"},\n"
      "        {\"Host\": \"gh\", \"Hostname\": \"GitHub.com\", \"Port\": 22}\n"
      "      ]\n"
      "    },\n"
      "    \"empty\": {}\n"
      "  },\n"
      "  \"network\": {\"link_pool\": \"10.99.0.0/28\", \"uplink_pool\": \"172.30.0.0/20\", "
      "\"dns\": [\"192.0.2.53\", \"198.51.100.53\"]}\n"
      "}\n";
  struct bottle_config *cfg = parse(json);
  CHECK(cfg != NULL);
  if (cfg == NULL) {
    printf("    %s\n", err.msg);
    return;
  }
  CHECK(cfg->mode == BOTTLE_MODE_PLAIN);
  CHECK(cfg->trust_container_env);
  CHECK_STREQ(cfg->sidecar_bundle, "/var/lib/bottle/pipelock");
  CHECK(cfg->n_sidecar_args == 5);
  CHECK_STREQ(cfg->sidecar_args[2], "--listen={listen}");
  CHECK(cfg->sidecar_port == 3128);
  CHECK(cfg->sidecar_ready_timeout_ms == 20000);
  CHECK(cfg->sidecar_max_requests_per_minute == 1200);
  CHECK(cfg->default_allowlist.len == 2);
  CHECK_STREQ(cfg->default_allowlist.items[0], "*.sentry.io");
  CHECK_STREQ(cfg->default_allowlist.items[1], "api.anthropic.com");
  CHECK(cfg->n_profiles == 2);
  const struct cfg_profile *dev = cfg_find_profile(cfg, "dev");
  CHECK(dev != NULL);
  if (dev) {
    CHECK(dev->allowlist.len == 2);
    CHECK(dev->n_ssh == 2);
    CHECK_STREQ(dev->ssh[0].host, "forge");
    CHECK_STREQ(dev->ssh[0].hostname, "10.20.0.5");
    CHECK(dev->ssh[0].hostname_is_ipv4);
    CHECK(dev->ssh[0].port == 30009);
    CHECK_STREQ(dev->ssh[0].user, "git");
    CHECK_STREQ(dev->ssh[1].hostname, "github.com");
    CHECK(!dev->ssh[1].hostname_is_ipv4);
    CHECK(dev->ssh[1].user == NULL);
  }
  const struct cfg_profile *empty = cfg_find_profile(cfg, "empty");
  CHECK(empty != NULL && empty->allowlist.len == 0 && empty->n_ssh == 0);
  CHECK(cfg_find_profile(cfg, "nope") == NULL);
  CHECK_STREQ(cfg->link_pool.text, "10.99.0.0/28");
  CHECK_STREQ(cfg->uplink_pool.text, "172.30.0.0/20");
  CHECK(cfg->n_dns == 2 && cfg->dns[0] == 0xc0000235u && cfg->dns[1] == 0xc6336435u);
  cfg_free(cfg);
}

static void test_malformed_json(void)
{
  REJECTS("{\n  \"mode\": \"bottled\"\n  \"egress\": {}\n}\n",
          "/etc/bottle/bottle.json: line 3, column 3: malformed JSON near \"\\\"egress\\\": {}\"");
  REJECTS("{\"mode\": }", "/etc/bottle/bottle.json: line 1, column 10: malformed JSON near \"}\"");
  REJECTS("{\"mode\": \"plain\"", "/etc/bottle/bottle.json: line 1, column 16: malformed JSON near "
                                  "\"\\\"\"");
  REJECTS("{} {}", "/etc/bottle/bottle.json: line 1, column 4: unexpected text after the JSON "
                   "object near \"{}\"");
  REJECTS("", "/etc/bottle/bottle.json: the file is empty; write {} for the built-in defaults");
  REJECTS(" \n\t", "/etc/bottle/bottle.json: the file is empty; write {} for the built-in "
                   "defaults");
  REJECTS("[]", "/etc/bottle/bottle.json: the top level must be a JSON object ({...}), got an "
                "array");
  REJECTS("null", "/etc/bottle/bottle.json: the top level must be a JSON object ({...}), got null");
  /* // comments are not JSON */
  REJECTS_WITH("{\n// no\n}", "line 2, column 2: malformed JSON near \"/ no\"");

  struct bottle_config *cfg = NULL;
  berr_clear(&err);
  CHECK(cfg_parse("{\"a\"\0}", 6, "f.json", no_env, &cfg, &err) < 0);
  CHECK_STREQ(err.msg, "f.json: line 1, column 5: NUL byte in the file near \"\\x00}\"");
}

static void test_unknown_and_duplicate_keys(void)
{
  /* (other top-level keys may follow in the list) */
  REJECTS_WITH("{\"egres\": {}}",
               "/etc/bottle/bottle.json: top level: unknown key \"egres\"; check the spelling "
               "(known keys: mode, trust_container_env, trust, sidecar, egress, bottles, network");
  REJECTS("{\"sidecar\": {\"prot\": 1}}",
          "/etc/bottle/bottle.json: sidecar: unknown key \"prot\"; check the spelling (known keys: "
          "bundle, args, port, ready_timeout_ms, resources, max_requests_per_minute, readiness)");
  REJECTS("{\"egress\": {\"allowlist\": []}}",
          "/etc/bottle/bottle.json: egress: unknown key \"allowlist\"; check the spelling (known "
          "keys: default_allowlist)");
  REJECTS("{\"bottles\": {\"dev\": {\"egres\": {}}}}",
          "/etc/bottle/bottle.json: bottles.dev: unknown key \"egres\"; check the spelling (known "
          "keys: egress, ssh)");
  REJECTS("{\"bottles\": {\"dev\": {\"egress\": {\"alowlist\": []}}}}",
          "/etc/bottle/bottle.json: bottles.dev.egress: unknown key \"alowlist\"; check the "
          "spelling (known keys: allowlist)");
  REJECTS("{\"bottles\": {\"dev\": {\"ssh\": [{\"Host\": \"a\", \"Hostname\": \"a.com\", "
          "\"Port\": 22, \"hostname\": \"b\"}]}}}",
          "/etc/bottle/bottle.json: bottles.dev.ssh[0]: unknown key \"hostname\"; check the "
          "spelling (known keys: Host, Hostname, Port, User)");
  REJECTS("{\"network\": {\"dns_servers\": []}}",
          "/etc/bottle/bottle.json: network: unknown key \"dns_servers\"; check the spelling "
          "(known keys: link_pool, uplink_pool, dns, inbound, proxyless, proxyless_ports)");
  REJECTS("{\"egress\": {\"default_allowlist\": [\"a.com\"]}, \"egress\": {}}",
          "/etc/bottle/bottle.json: top level: key \"egress\" appears twice; keep one (JSON "
          "duplicates are ambiguous)");
  REJECTS("{\"sidecar\": {\"port\": 1, \"port\": 2}}",
          "/etc/bottle/bottle.json: sidecar: key \"port\" appears twice; keep one (JSON duplicates "
          "are ambiguous)");
  REJECTS("{\"bottles\": {\"dev\": {}, \"dev\": {}}}",
          "/etc/bottle/bottle.json: bottles: profile \"dev\" is defined twice; keep one");
}

static void test_wrong_types(void)
{
  REJECTS("{\"mode\": 1}", "/etc/bottle/bottle.json: mode: expected a string, got a number");
  REJECTS("{\"mode\": \"strict\"}",
          "/etc/bottle/bottle.json: mode: \"strict\" is not a mode; use \"bottled\" or \"plain\"");
  REJECTS("{\"trust_container_env\": \"yes\"}",
          "/etc/bottle/bottle.json: trust_container_env: expected true or false, got a string");
  REJECTS("{\"sidecar\": []}", "/etc/bottle/bottle.json: sidecar: expected an object, got an "
                               "array");
  REJECTS("{\"sidecar\": {\"bundle\": 5}}",
          "/etc/bottle/bottle.json: sidecar.bundle: expected a string, got a number");
  REJECTS("{\"sidecar\": {\"port\": \"8888\"}}",
          "/etc/bottle/bottle.json: sidecar.port: expected an integer 1-65535, got a string");
  REJECTS("{\"sidecar\": {\"args\": \"/pipelock run\"}}",
          "/etc/bottle/bottle.json: sidecar.args: expected an array, got a string");
  REJECTS("{\"sidecar\": {\"args\": [\"/pipelock\", 1]}}",
          "/etc/bottle/bottle.json: sidecar.args[1]: expected a string, got a number");
  REJECTS("{\"egress\": {\"default_allowlist\": \"a.com\"}}",
          "/etc/bottle/bottle.json: egress.default_allowlist: expected an array, got a string");
  REJECTS("{\"egress\": {\"default_allowlist\": [\"a.com\", 42]}}",
          "/etc/bottle/bottle.json: egress.default_allowlist[1]: expected a host name string, "
          "got a number; quote it");
  REJECTS("{\"egress\": {\"default_allowlist\": [null]}}",
          "/etc/bottle/bottle.json: egress.default_allowlist[0]: expected a host name string, got "
          "null; quote it");
  REJECTS("{\"egress\": {\"default_allowlist\": [[\"a.com\"]]}}",
          "/etc/bottle/bottle.json: egress.default_allowlist[0]: expected a host name string, got "
          "an array; quote it");
  REJECTS("{\"bottles\": []}", "/etc/bottle/bottle.json: bottles: expected an object, got an "
                               "array");
  REJECTS("{\"bottles\": {\"dev\": \"x\"}}",
          "/etc/bottle/bottle.json: bottles.dev: expected an object, got a string");
  REJECTS("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [true]}}}}",
          "/etc/bottle/bottle.json: bottles.dev.egress.allowlist[0]: expected a host name string, "
          "got a boolean; quote it");
  REJECTS("{\"bottles\": {\"dev\": {\"ssh\": {}}}}",
          "/etc/bottle/bottle.json: bottles.dev.ssh: expected an array, got an object");
  REJECTS("{\"bottles\": {\"dev\": {\"ssh\": [\"a\"]}}}",
          "/etc/bottle/bottle.json: bottles.dev.ssh[0]: expected an object, got a string");
  REJECTS("{\"network\": {\"link_pool\": 10}}",
          "/etc/bottle/bottle.json: network.link_pool: expected a string, got a number");
  REJECTS("{\"network\": {\"dns\": \"192.0.2.53\"}}",
          "/etc/bottle/bottle.json: network.dns: expected an array, got a string");
}

static void test_sidecar_values(void)
{
  REJECTS("{\"sidecar\": {\"port\": 0}}",
          "/etc/bottle/bottle.json: sidecar.port: 0 is out of range; expected an integer 1-65535");
  REJECTS("{\"sidecar\": {\"port\": 65536}}", "/etc/bottle/bottle.json: sidecar.port: 65536 is out "
                                              "of range; expected an integer 1-65535");
  REJECTS("{\"sidecar\": {\"port\": 80.5}}", "/etc/bottle/bottle.json: sidecar.port: 80.5 is out "
                                             "of range; expected an integer 1-65535");
  REJECTS("{\"sidecar\": {\"port\": -1}}", "/etc/bottle/bottle.json: sidecar.port: -1 is out of "
                                           "range; expected an integer 1-65535");
  REJECTS("{\"sidecar\": {\"ready_timeout_ms\": 0}}",
          "/etc/bottle/bottle.json: sidecar.ready_timeout_ms: 0 is out of range; expected an "
          "integer 1-600000");
  /* pipelock turns 0 or less into 60: bottle refuses them rather than let a 0 mean 60 */
  /* sidecar.readiness: one of http (a path that fits a request line) or tcp (true) */
  REJECTS("{\"sidecar\": {\"readiness\": {}}}",
          "/etc/bottle/bottle.json: sidecar.readiness: give exactly one of {\"http\": \"/path\"} "
          "(a GET that answers 200) or {\"tcp\": true} (a connect to the proxy port)");
  REJECTS_WITH("{\"sidecar\": {\"readiness\": {\"http\": \"/h\", \"tcp\": true}}}",
               "sidecar.readiness: give exactly one of");
  REJECTS_WITH("{\"sidecar\": {\"readiness\": {\"tcp\": false}}}",
               "sidecar.readiness.tcp: must be true");
  REJECTS_WITH("{\"sidecar\": {\"readiness\": {\"http\": \"health\"}}}",
               "sidecar.readiness.http: \"health\" is not a path");
  REJECTS_WITH("{\"sidecar\": {\"readiness\": {\"http\": \"/a\\r\\nX: y\"}}}",
               "sidecar.readiness.http: ");
  REJECTS_WITH("{\"sidecar\": {\"readiness\": {\"http\": 1}}}", "sidecar.readiness.http: ");
  REJECTS_WITH("{\"sidecar\": {\"readiness\": {\"udp\": true}}}",
               "sidecar.readiness: unknown key \"udp\"");
  REJECTS_WITH("{\"sidecar\": {\"readiness\": \"tcp\"}}", "sidecar.readiness: ");
  {
    struct bottle_config *c = parse("{\"sidecar\": {\"readiness\": {\"tcp\": true}}}");
    CHECK(c != NULL && c->sidecar_readiness_path[0] == '\0');
    cfg_free(c);
    c = parse("{\"sidecar\": {\"readiness\": {\"http\": \"/ready?x=1\"}}}");
    CHECK(c != NULL && strcmp(c->sidecar_readiness_path, "/ready?x=1") == 0);
    cfg_free(c);
  }
  REJECTS("{\"sidecar\": {\"max_requests_per_minute\": 0}}",
          "/etc/bottle/bottle.json: sidecar.max_requests_per_minute: pipelock cannot turn its rate "
          "limit off (0 means 60 there); give the requests a minute per site, 1-100000");
  REJECTS("{\"sidecar\": {\"max_requests_per_minute\": -5}}",
          "/etc/bottle/bottle.json: sidecar.max_requests_per_minute: pipelock cannot turn its rate "
          "limit off (0 means 60 there); give the requests a minute per site, 1-100000");
  REJECTS("{\"sidecar\": {\"max_requests_per_minute\": 100001}}",
          "/etc/bottle/bottle.json: sidecar.max_requests_per_minute: 100001 is out of range; "
          "expected an integer 1-100000");
  REJECTS("{\"sidecar\": {\"max_requests_per_minute\": 60.5}}",
          "/etc/bottle/bottle.json: sidecar.max_requests_per_minute: 60.5 is out of range; "
          "expected an integer 1-100000");
  REJECTS("{\"sidecar\": {\"max_requests_per_minute\": \"600\"}}",
          "/etc/bottle/bottle.json: sidecar.max_requests_per_minute: expected an integer "
          "1-100000, got a string");
  struct bottle_config *cfg = parse("{\"sidecar\": {\"max_requests_per_minute\": 1}}");
  CHECK(cfg && cfg->sidecar_max_requests_per_minute == 1);
  cfg_free(cfg);
  cfg = parse("{\"sidecar\": {\"port\": 65535, \"ready_timeout_ms\": 1}}");
  CHECK(cfg && cfg->sidecar_port == 65535 && cfg->sidecar_ready_timeout_ms == 1);
  cfg_free(cfg);
  REJECTS("{\"sidecar\": {\"bundle\": \"pipelock\"}}",
          "/etc/bottle/bottle.json: sidecar.bundle: \"pipelock\" is not an absolute path; give the "
          "full path of the unpacked pipelock bundle, e.g. \"/var/lib/bottle/pipelock\"");
  REJECTS("{\"sidecar\": {\"bundle\": \"/a\\nb\"}}",
          "/etc/bottle/bottle.json: sidecar.bundle: \"/a\\x0ab\" contains a control character");
  REJECTS("{\"sidecar\": {\"args\": []}}",
          "/etc/bottle/bottle.json: sidecar.args: needs 1 to 64 arguments, got 0; omit the key "
          "for pipelock's default argv");
  REJECTS("{\"sidecar\": {\"args\": [\"pipelock\", \"run\"]}}",
          "/etc/bottle/bottle.json: sidecar.args[0]: \"pipelock\" must be the absolute path of the "
          "program inside the bundle, e.g. \"/pipelock\"");
  REJECTS("{\"sidecar\": {\"args\": [\"/pipelock\", \"--listen\", \"{addr}\"]}}",
          "/etc/bottle/bottle.json: sidecar.args[2]: \"{addr}\" has an unknown placeholder; the "
          "placeholders are {listen} (ip:port), {ip} and {port}");
  REJECTS("{\"sidecar\": {\"args\": [\"/pipelock\", \"a\\tb\"]}}",
          "/etc/bottle/bottle.json: sidecar.args[1]: \"a\\x09b\" contains a control character");
  REJECTS(
      "{\"sidecar\": {\"resources\": {\"cpus\": 0.001}}}",
      "/etc/bottle/bottle.json: sidecar.resources.cpus: must be a number from 0.01 to 1024 (CPUs, "
      "e.g. 0.5)");
  REJECTS("{\"sidecar\": {\"resources\": {\"memory_bytes\": 1048576}}}",
          "/etc/bottle/bottle.json: sidecar.resources.memory_bytes: must be a number from 33554432 "
          "to 1125899906842624 (bytes, at least 32 MiB)");
  REJECTS("{\"sidecar\": {\"resources\": {\"pids\": \"64\"}}}",
          "/etc/bottle/bottle.json: sidecar.resources.pids: must be a number from 16 to 4194304 "
          "(tasks, threads included)");
  REJECTS(
      "{\"sidecar\": {\"resources\": {\"memory_bytes\": 33554432.5}}}",
      "/etc/bottle/bottle.json: sidecar.resources: memory_bytes and pids must be whole numbers");
  REJECTS("{\"sidecar\": {\"resources\": []}}",
          "/etc/bottle/bottle.json: sidecar.resources: expected an object, got an array");
  cfg = parse("{\"sidecar\": {\"resources\": {\"cpus\": 0.5, \"memory_bytes\": 134217728}}}");
  CHECK(cfg && cfg->sidecar_resources.cpus == 0.5 &&
        cfg->sidecar_resources.memory_bytes == 134217728 && cfg->sidecar_resources.pids == 256);
  cfg_free(cfg);
}

static void test_allowlist_entries_in_file(void)
{
  REJECTS("{\"egress\": {\"default_allowlist\": [\"https://api.anthropic.com\"]}}",
          "/etc/bottle/bottle.json: egress.default_allowlist[0]: \"https://api.anthropic.com\" is "
          "a URL; write only the host name, e.g. \"example.com\"");
  REJECTS("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"ok.com\", \"*.com\"]}}}}",
          "/etc/bottle/bottle.json: bottles.dev.egress.allowlist[1]: \"*.com\" is a wildcard over "
          "a whole top-level domain; \"*.\" needs at least two labels after it, e.g. "
          "\"*.example.com\"");
  REJECTS_WITH("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"*\"]}}}}", "bare '*'");
  REJECTS_WITH("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"a..b\"]}}}}",
               "empty label");
  REJECTS_WITH("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"h:22\"]}}}}", "has a port");
  REJECTS_WITH("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"a b\"]}}}}",
               "contains a space");
  REJECTS_WITH("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"a\\u0001b\"]}}}}",
               "control character");
  REJECTS_WITH("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"fe80::1\"]}}}}",
               "IPv6 literal");
  REJECTS_WITH("{\"bottles\": {\"dev\": {\"egress\": {\"allowlist\": [\"\"]}}}}", "is empty");
  /* An empty default list is allowed here (the policy then needs other hosts). */
  struct bottle_config *cfg = parse("{\"egress\": {\"default_allowlist\": []}}");
  CHECK(cfg && cfg->default_allowlist.len == 0);
  cfg_free(cfg);
}

static void test_profiles_and_ssh(void)
{
  REJECTS("{\"bottles\": {\"my profile\": {}}}",
          "/etc/bottle/bottle.json: bottles: profile name \"my profile\" is not usable; use 1-64 "
          "letters, digits, '.', '-' and '_' (not starting with '-' or '.')");
  REJECTS_WITH("{\"bottles\": {\"\": {}}}", "profile name \"\" is not usable");
  REJECTS_WITH("{\"bottles\": {\"-x\": {}}}", "profile name \"-x\" is not usable");
  const char *pre = "{\"bottles\": {\"dev\": {\"ssh\": [";
  char json[600];
#define SSH(entry) (snprintf(json, sizeof(json), "%s%s]}}}", pre, entry), json)
  REJECTS(SSH("{\"Hostname\": \"a.com\", \"Port\": 22}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0]: needs \"Host\"; an SSH target has Host, "
          "Hostname, Port and optionally User");
  REJECTS_WITH(SSH("{\"Host\": \"a\", \"Port\": 22}"), "needs \"Hostname\"");
  REJECTS_WITH(SSH("{\"Host\": \"a\", \"Hostname\": \"a.com\"}"), "needs \"Port\"");
  REJECTS(SSH("{\"Host\": \"a\", \"Hostname\": \"a.com\", \"Port\": \"22\"}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].Port: expected an integer 1-65535, got a "
          "string");
  REJECTS(SSH("{\"Host\": \"a\", \"Hostname\": \"a.com\", \"Port\": 70000}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].Port: 70000 is out of range; expected an "
          "integer 1-65535");
  REJECTS(SSH("{\"Host\": \"a\", \"Hostname\": \"a.com:22\", \"Port\": 22}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].Hostname: \"a.com:22\" has a port "
          "(host:port); ports are not part of the allowlist (every port of an allowed host is "
          "reachable), write only the host");
  REJECTS(SSH("{\"Host\": \"a\", \"Hostname\": \"*.a.com\", \"Port\": 22}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].Hostname: \"*.a.com\" is a wildcard; an SSH "
          "Hostname names one host (put wildcards in egress.allowlist)");
  REJECTS(SSH("{\"Host\": 1, \"Hostname\": \"a.com\", \"Port\": 22}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].Host: expected a string, got a number");
  REJECTS(SSH("{\"Host\": \"a b\", \"Hostname\": \"a.com\", \"Port\": 22}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].Host: \"a b\" is not a usable ssh alias; "
          "use letters, digits, '.', '-' and '_'");
  REJECTS(SSH("{\"Host\": \"a\", \"Hostname\": \"a.com\", \"Port\": 22, \"User\": \"-oProxy\"}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].User: \"-oProxy\" is not a usable user "
          "name; use letters, digits, '.', '-' and '_' (not starting with '-' or '.')");
  REJECTS(SSH("{\"Host\": \"a\", \"Hostname\": \"a.com\", \"Port\": 22, \"User\": false}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].User: expected a string, got a boolean");
  REJECTS(SSH("{\"Host\": \"a\", \"Hostname\": \"a.com\", \"Port\": 22}, {\"Host\": \"a\", "
              "\"Hostname\": \"b.com\", \"Port\": 22}"),
          "/etc/bottle/bottle.json: bottles.dev.ssh[1].Host: \"a\" is already used by "
          "bottles.dev.ssh[0]; give each SSH target its own Host");
  REJECTS_WITH(SSH("{\"Host\": \"a\", \"Hostname\": \"010.0.0.1\", \"Port\": 22}"),
               "bottles.dev.ssh[0].Hostname: \"010.0.0.1\" looks like an IPv4 address but is not "
               "a canonical dotted quad");
#undef SSH
}

static void test_network(void)
{
  REJECTS("{\"network\": {\"link_pool\": \"10.231.0.1/24\"}}",
          "/etc/bottle/bottle.json: network.link_pool: \"10.231.0.1/24\" has host bits set; use "
          "the network address (the address with the bits after the prefix cleared)");
  REJECTS("{\"network\": {\"link_pool\": \"10.231.0.0\"}}",
          "/etc/bottle/bottle.json: network.link_pool: \"10.231.0.0\" has no prefix length; write "
          "it as a CIDR such as \"10.231.0.0/24\"");
  REJECTS("{\"network\": {\"link_pool\": \"10.231.0.0/31\"}}",
          "/etc/bottle/bottle.json: network.link_pool: \"10.231.0.0/31\" has a /31 prefix; it "
          "must be /8 to /30 so that /30 links fit, e.g. \"10.231.0.0/24\"");
  REJECTS("{\"network\": {\"uplink_pool\": \"0.0.0.0/0\"}}",
          "/etc/bottle/bottle.json: network.uplink_pool: \"0.0.0.0/0\" has a /0 prefix; it must "
          "be /8 to /30 so that /30 links fit, e.g. \"10.232.0.0/16\"");
  REJECTS("{\"network\": {\"uplink_pool\": \"127.0.0.0/8\"}}",
          "/etc/bottle/bottle.json: network.uplink_pool: \"127.0.0.0/8\" overlaps the loopback "
          "range; use a private range, e.g. \"10.232.0.0/16\"");
  REJECTS_WITH("{\"network\": {\"link_pool\": \"169.254.0.0/24\"}}", "overlaps the link-local");
  REJECTS_WITH("{\"network\": {\"link_pool\": \"224.0.0.0/24\"}}", "overlaps the multicast");
  REJECTS_WITH("{\"network\": {\"link_pool\": \"fd00::/64\"}}", "not a canonical IPv4 CIDR");
  REJECTS("{\"network\": {\"link_pool\": \"10.232.1.0/24\"}}",
          "/etc/bottle/bottle.json: network: link_pool 10.232.1.0/24 and uplink_pool "
          "10.232.0.0/16 overlap; give them disjoint ranges");
  struct bottle_config *cfg = parse("{\"network\": {\"link_pool\": \"192.168.77.0/30\"}}");
  CHECK(cfg && cfg->link_pool.prefix == 30);
  cfg_free(cfg);

  REJECTS("{\"network\": {\"dns\": [\"8.8.8.8\", \"1.1.1.1\", \"9.9.9.9\", \"8.8.4.4\"]}}",
          "/etc/bottle/bottle.json: network.dns: has 4 entries; resolv.conf uses at most 3");
  REJECTS("{\"network\": {\"dns\": [\"dns.google\"]}}",
          "/etc/bottle/bottle.json: network.dns[0]: \"dns.google\" is not a canonical IPv4 address "
          "(four numbers 0-255 without leading zeros), e.g. \"192.0.2.53\"");
  REJECTS("{\"network\": {\"dns\": [\"127.0.0.53\"]}}",
          "/etc/bottle/bottle.json: network.dns[0]: \"127.0.0.53\" is a loopback address, which "
          "the sidecar cannot use as a resolver; give a reachable DNS server");
  REJECTS("{\"network\": {\"dns\": [\"192.0.2.53\", \"192.0.2.53\"]}}",
          "/etc/bottle/bottle.json: network.dns[1]: \"192.0.2.53\" is listed twice");
  REJECTS("{\"network\": {\"dns\": [5]}}",
          "/etc/bottle/bottle.json: network.dns[0]: expected a string, got a number");
  cfg = parse("{\"network\": {\"dns\": []}}");
  CHECK(cfg && cfg->n_dns == 0);
  CHECK(cfg && cfg->inbound);
  cfg_free(cfg);

  cfg = parse("{\"network\": {\"inbound\": \"none\"}}");
  CHECK(cfg && !cfg->inbound);
  cfg_free(cfg);
  cfg = parse("{\"network\": {\"inbound\": \"tcp\"}}");
  CHECK(cfg && cfg->inbound);
  cfg_free(cfg);
  REJECTS("{\"network\": {\"inbound\": \"all\"}}",
          "/etc/bottle/bottle.json: network.inbound: \"all\" is not a setting; use \"tcp\" (the "
          "engine's connections to the container reach the agent) or \"none\"");
  REJECTS("{\"network\": {\"inbound\": false}}",
          "/etc/bottle/bottle.json: network.inbound: expected a string, got a boolean");

  /* network.proxyless: off by default, ports 80 and 443 */
  cfg = parse("{}");
  CHECK(cfg && !cfg->proxyless && cfg->n_proxyless_ports == 2 && cfg->proxyless_ports[0] == 80 &&
        cfg->proxyless_ports[1] == 443);
  cfg_free(cfg);
  cfg = parse("{\"network\": {\"proxyless\": true, \"proxyless_ports\": [443, 8443]}}");
  CHECK(cfg && cfg->proxyless && cfg->n_proxyless_ports == 2 && cfg->proxyless_ports[1] == 8443);
  cfg_free(cfg);
  REJECTS("{\"network\": {\"proxyless\": \"yes\"}}",
          "/etc/bottle/bottle.json: network.proxyless: expected true or false, got a string");
  REJECTS("{\"network\": {\"proxyless_ports\": [80, 80]}}",
          "/etc/bottle/bottle.json: network.proxyless_ports[1]: 80 is listed twice");
  REJECTS("{\"network\": {\"proxyless_ports\": []}}",
          "/etc/bottle/bottle.json: network.proxyless_ports: has 0 entries; list 1 to 8 TCP "
          "ports, e.g. [80, 443]");
  REJECTS_WITH("{\"network\": {\"proxyless_ports\": [53]}}", "53 is the resolver's port");
  REJECTS_WITH("{\"network\": {\"proxyless_ports\": [8888]}}", "8888 is the proxy's port");
  REJECTS_WITH("{\"sidecar\": {\"port\": 10080}, \"network\": {\"proxyless\": true}}",
               "sidecar.port 10080 is a port of bottle's own resolver or redirector");
}

static void test_default_allowlist_env(void)
{
  char *const env[] = {"PATH=/bin", "BOTTLE_DEFAULT_ALLOWLIST=Example.com, *.corp.example.org",
                       NULL};
  struct bottle_config *cfg = parse_env("{\"egress\": {\"default_allowlist\": [\"a.com\"]}}", env);
  CHECK(cfg != NULL);
  if (cfg) {
    CHECK(cfg->default_allowlist.len == 2);
    CHECK_STREQ(cfg->default_allowlist.items[0], "*.corp.example.org");
    CHECK_STREQ(cfg->default_allowlist.items[1], "example.com");
  }
  cfg_free(cfg);

  /* Also over the built-in list when there is no file. */
  cfg = parse_env(NULL, env);
  CHECK(cfg && cfg->default_allowlist.len == 2);
  cfg_free(cfg);

  /* Set but empty: ignored, like ${VAR:-default}. */
  char *const empty[] = {"BOTTLE_DEFAULT_ALLOWLIST=", NULL};
  cfg = parse_env(NULL, empty);
  CHECK(cfg && cfg->default_allowlist.len == 7);
  cfg_free(cfg);

  char *const bad[] = {"BOTTLE_DEFAULT_ALLOWLIST=a.com,http://b.com", NULL};
  cfg = parse_env(NULL, bad);
  CHECK(cfg == NULL);
  CHECK_STREQ(err.msg, "host env BOTTLE_DEFAULT_ALLOWLIST entry 2: \"http://b.com\" is a URL; "
                       "write only the host name, e.g. \"example.com\"");
}

static char tmpdir[64];

static const char *write_tmp(const char *name, const char *text)
{
  static char path[128];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  return path;
}

static void test_file_location(void)
{
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config_load.XXXXXX");
  CHECK(mkdtemp(tmpdir) != NULL);
  char missing[128], path[128];
  snprintf(missing, sizeof(missing), "%s/absent.json", tmpdir);
  snprintf(path, sizeof(path), "%s", write_tmp("bottle.json", "{\"sidecar\": {\"port\": 1234}}"));
  struct bottle_config *cfg = NULL;

  /* A missing default file: built-in defaults. */
  CHECK(cfg_load_from(NULL, no_env, missing, &cfg, &err) == 0);
  CHECK(cfg && cfg->sidecar_port == 8888);
  if (cfg)
    CHECK_STREQ(cfg->source, "built-in defaults");
  cfg_free(cfg);

  /* The default file when present. */
  CHECK(cfg_load_from(NULL, no_env, path, &cfg, &err) == 0);
  CHECK(cfg && cfg->sidecar_port == 1234);
  if (cfg)
    CHECK_STREQ(cfg->source, path);
  cfg_free(cfg);

  /* --config beats BOTTLE_CONFIG, which beats the default. */
  char env_config[160];
  snprintf(env_config, sizeof(env_config), "BOTTLE_CONFIG=%s", path);
  char *const env[] = {env_config, NULL};
  CHECK(cfg_load_from(NULL, env, missing, &cfg, &err) == 0);
  CHECK(cfg && cfg->sidecar_port == 1234);
  cfg_free(cfg);
  const char *other = write_tmp("other.json", "{\"sidecar\": {\"port\": 4321}}");
  CHECK(cfg_load_from(other, env, missing, &cfg, &err) == 0);
  CHECK(cfg && cfg->sidecar_port == 4321);
  cfg_free(cfg);

  /* A missing explicit file is an error, whichever way it was named. */
  CHECK(cfg_load_from(missing, no_env, path, &cfg, &err) < 0);
  CHECK(cfg == NULL);
  char expect[300];
  snprintf(expect, sizeof(expect),
           "%s: no such file (named by --config); create it or fix the path", missing);
  CHECK_STREQ(err.msg, expect);
  char env_missing[160];
  snprintf(env_missing, sizeof(env_missing), "BOTTLE_CONFIG=%s", missing);
  char *const env2[] = {env_missing, NULL};
  CHECK(cfg_load_from(NULL, env2, path, &cfg, &err) < 0);
  snprintf(expect, sizeof(expect),
           "%s: no such file (named by BOTTLE_CONFIG); create it or fix the path", missing);
  CHECK_STREQ(err.msg, expect);
  char *const env3[] = {"BOTTLE_CONFIG=", NULL};
  CHECK(cfg_load_from(NULL, env3, path, &cfg, &err) < 0);
  CHECK_STREQ(err.msg, "BOTTLE_CONFIG is empty; give the path of a bottle.json");

  /* Errors in a file name the file. */
  const char *broken = write_tmp("broken.json", "{\n  \"mode\": \"plain\",\n}\n");
  CHECK(cfg_load_from(broken, no_env, missing, &cfg, &err) < 0);
  /* cJSON notices the trailing comma only at the closing brace. */
  snprintf(expect, sizeof(expect), "%s: line 3, column 2: malformed JSON at the end of the input",
           broken);
  CHECK_STREQ(err.msg, expect);

  /* A directory is not a config file. */
  CHECK(cfg_load_from(tmpdir, no_env, missing, &cfg, &err) < 0);
  CHECK_CONTAINS(err.msg, "cannot read");

  /* A runaway file is refused before it is parsed. */
  char big_path[160];
  snprintf(big_path, sizeof(big_path), "%s/big.json", tmpdir);
  FILE *big = fopen(big_path, "w");
  CHECK(big != NULL);
  if (big) {
    fputc('{', big);
    for (int i = 0; i < 1024 * 1024; i++)
      fputc(' ', big);
    fputc('}', big);
    fclose(big);
  }
  CHECK(cfg_load_from(big_path, no_env, missing, &cfg, &err) < 0);
  snprintf(expect, sizeof(expect), "%s: larger than 1048576 bytes; is this the right file?",
           big_path);
  CHECK_STREQ(err.msg, expect);
  unlink(big_path);

  /* The real default path is /etc/bottle/bottle.json. */
  CHECK_STREQ(CFG_DEFAULT_PATH, "/etc/bottle/bottle.json");

  unlink(path);
  unlink(other);
  unlink(broken);
  rmdir(tmpdir);
}

static void test_trust(void)
{
  struct bottle_config *cfg = parse(NULL);
  CHECK(cfg && !cfg->trust_annotations.plain && !cfg->trust_annotations.extra_hosts &&
        !cfg->trust_annotations.any_profile && cfg->trust_annotations.profiles.len == 0);
  CHECK(cfg && !cfg->trust_env.plain && !cfg->trust_env.extra_hosts &&
        !cfg->trust_env.any_profile && cfg->trust_env.profiles.len == 0);
  cfg_free(cfg);

  /* "trust" may precede "bottles" in the file: profile names are checked against all of them. */
  cfg = parse("{\"trust\": {\"annotations\": {\"plain\": true, \"profiles\": [\"b\", \"a\"]},"
              " \"env\": {\"extra_hosts\": true, \"profiles\": [\"*\"]}},"
              " \"bottles\": {\"a\": {}, \"b\": {}, \"c\": {}}}");
  CHECK(cfg != NULL);
  if (cfg) {
    CHECK(cfg->trust_annotations.plain && !cfg->trust_annotations.extra_hosts &&
          !cfg->trust_annotations.any_profile && cfg->trust_annotations.profiles.len == 2);
    CHECK(!cfg->trust_env.plain && cfg->trust_env.extra_hosts && cfg->trust_env.any_profile);
    CHECK(!cfg->trust_container_env);
  }
  cfg_free(cfg);

  /* trust_container_env: true is "the env may do everything"; annotations stay untrusted. */
  cfg = parse("{\"trust_container_env\": true}");
  CHECK(cfg && cfg->trust_env.plain && cfg->trust_env.extra_hosts && cfg->trust_env.any_profile);
  CHECK(cfg && !cfg->trust_annotations.plain && !cfg->trust_annotations.extra_hosts &&
        !cfg->trust_annotations.any_profile);
  cfg_free(cfg);
  cfg = parse("{\"trust_container_env\": false, \"trust\": {\"env\": {\"plain\": true}}}");
  CHECK(cfg && cfg->trust_env.plain && !cfg->trust_env.extra_hosts);
  cfg_free(cfg);

  REJECTS("{\"trust_container_env\": true, \"trust\": {\"env\": {\"plain\": false}}}",
          "/etc/bottle/bottle.json: trust.env: \"trust_container_env\": true already lets the "
          "container env do everything; remove one of the two (trust.env says what exactly)");
  REJECTS("{\"trust\": {\"annotation\": {}}}",
          "/etc/bottle/bottle.json: trust: unknown key \"annotation\"; check the spelling (known "
          "keys: annotations, env)");
  REJECTS("{\"trust\": {\"env\": {\"mode\": true}}}",
          "/etc/bottle/bottle.json: trust.env: unknown key \"mode\"; check the spelling (known "
          "keys: plain, profiles, extra_hosts)");
  REJECTS("{\"trust\": []}", "/etc/bottle/bottle.json: trust: expected an object, got an array");
  REJECTS("{\"trust\": {\"annotations\": {\"plain\": \"yes\"}}}",
          "/etc/bottle/bottle.json: trust.annotations.plain: expected true or false, got a string");
  REJECTS("{\"trust\": {\"env\": {\"extra_hosts\": 1}}}",
          "/etc/bottle/bottle.json: trust.env.extra_hosts: expected true or false, got a number");
  REJECTS("{\"trust\": {\"annotations\": {\"profiles\": \"*\"}}}",
          "/etc/bottle/bottle.json: trust.annotations.profiles: expected an array, got a string");
  REJECTS("{\"trust\": {\"annotations\": {\"profiles\": [1]}}}",
          "/etc/bottle/bottle.json: trust.annotations.profiles[0]: expected a string, got a "
          "number");
  REJECTS("{\"bottles\": {\"dev\": {}}, \"trust\": {\"annotations\": {\"profiles\": "
          "[\"dve\"]}}}",
          "/etc/bottle/bottle.json: trust.annotations.profiles[0]: \"dve\" is not a profile "
          "defined under \"bottles\"; name one, or write [\"*\"] for any");
  REJECTS("{\"bottles\": {\"dev\": {}}, \"trust\": {\"env\": {\"profiles\": [\"*\", "
          "\"dev\"]}}}",
          "/etc/bottle/bottle.json: trust.env.profiles: \"*\" already allows every profile; "
          "write [\"*\"] alone");
}

/* SSH Hostnames become SSRF exemptions: none may point at the sidecar's own side. */
static void test_ssh_hostname_refusals(void)
{
  static const struct {
    const char *hostname, *why;
  } bad[] = {
      {"127.0.0.1", "is a loopback address"},
      {"127.8.9.10", "is a loopback address"},
      {"0.0.0.0", "is a \"this network\" address"},
      {"169.254.169.254", "is a link-local address"},
      {"169.254.0.1", "is a link-local address"},
      {"224.0.0.1", "is a multicast and reserved address"},
      {"239.255.255.250", "is a multicast and reserved address"},
      {"255.255.255.255", "is a multicast and reserved address"},
      {"10.231.0.1", "is in network.link_pool 10.231.0.0/24 (bottle's own links)"},
      {"10.231.0.2", "is in network.link_pool 10.231.0.0/24 (bottle's own links)"},
      {"10.232.7.1", "is in network.uplink_pool 10.232.0.0/16 (bottle's own links)"},
      {"localhost", "names the loopback host"},
      {"LocalHost.", "names the loopback host"},
      {"db.localhost", "names the loopback host"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char json[300], want[400], shown[64];
    snprintf(json, sizeof(json),
             "{\"bottles\": {\"dev\": {\"ssh\": [{\"Host\": \"ok\", \"Hostname\": "
             "\"100.101.102.103\", \"Port\": 22}, {\"Host\": \"x\", \"Hostname\": \"%s\", "
             "\"Port\": 22}]}}}",
             bad[i].hostname);
    /* Reported as normalised (lowercase, no trailing dot): what would have reached pipelock. */
    snprintf(shown, sizeof(shown), "%s", bad[i].hostname);
    for (char *c = shown; *c; c++)
      *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    if (shown[strlen(shown) - 1] == '.')
      shown[strlen(shown) - 1] = '\0';
    snprintf(want, sizeof(want),
             "/etc/bottle/bottle.json: bottles.dev.ssh[1].Hostname: \"%s\" %s, which would "
             "exempt the proxy's own side from its SSRF check; give the SSH server's address or "
             "name on the network",
             shown, bad[i].why);
    REJECTS(json, want);
  }
  /* The pools are the configured ones, wherever "network" stands in the file. */
  REJECTS("{\"bottles\": {\"dev\": {\"ssh\": [{\"Host\": \"x\", \"Hostname\": "
          "\"192.168.77.9\", \"Port\": 22}]}}, \"network\": {\"link_pool\": "
          "\"192.168.77.0/24\"}}",
          "/etc/bottle/bottle.json: bottles.dev.ssh[0].Hostname: \"192.168.77.9\" is in "
          "network.link_pool 192.168.77.0/24 (bottle's own links), which would exempt the "
          "proxy's own side from its SSRF check; give the SSH server's address or name on the "
          "network");
  struct bottle_config *cfg =
      parse("{\"bottles\": {\"dev\": {\"ssh\": [{\"Host\": \"x\", \"Hostname\": "
            "\"10.231.0.9\", \"Port\": 22}, {\"Host\": \"y\", \"Hostname\": "
            "\"notlocalhost.example\", \"Port\": 22}, {\"Host\": \"z\", \"Hostname\": "
            "\"localhost.example\", \"Port\": 22}]}}, \"network\": {\"link_pool\": "
            "\"192.168.77.0/24\"}}");
  CHECK(cfg != NULL && cfg->profiles[0].n_ssh == 3);
  cfg_free(cfg);
}

/* agent.*: what a bottled agent may keep (runtime/bottle/agent_spec.c); nothing by default. */
static void test_agent(void)
{
  struct bottle_config *cfg = parse(NULL);
  CHECK(cfg && cfg->agent.allow_capabilities.len == 0 && cfg->agent.allow_mounts.len == 0 &&
        !cfg->agent.allow_devices && !cfg->agent.allow_unmasked_proc &&
        !cfg->agent.allow_writable_sys);
  cfg_free(cfg);
  cfg = parse("{\"agent\": {\"allow_capabilities\": [\"CAP_SYS_PTRACE\", \"CAP_SYS_ADMIN\"],"
              " \"allow_devices\": true, \"allow_mounts\": [\"/var/run/docker.sock\"],"
              " \"allow_unmasked_proc\": true, \"allow_writable_sys\": false}}");
  CHECK(cfg != NULL);
  if (cfg) {
    CHECK(strlist_contains(&cfg->agent.allow_capabilities, "CAP_SYS_PTRACE"));
    CHECK(strlist_contains(&cfg->agent.allow_capabilities, "CAP_SYS_ADMIN"));
    CHECK(strlist_contains(&cfg->agent.allow_mounts, "/var/run/docker.sock"));
    CHECK(cfg->agent.allow_devices && cfg->agent.allow_unmasked_proc &&
          !cfg->agent.allow_writable_sys);
  }
  cfg_free(cfg);
  CHECK(cfg_agent_refused_cap("CAP_SYS_MODULE") != NULL);
  CHECK(cfg_agent_refused_cap("CAP_CHOWN") == NULL);
  CHECK(cfg_agent_refused_cap("CAP_NET_RAW") == NULL);

  REJECTS("{\"agent\": {\"allow_caps\": []}}",
          "/etc/bottle/bottle.json: agent: unknown key \"allow_caps\"; check the spelling (known "
          "keys: allow_capabilities, allow_devices, allow_mounts, allow_unmasked_proc, "
          "allow_writable_sys)");
  REJECTS("{\"agent\": []}", "/etc/bottle/bottle.json: agent: expected an object, got an array");
  REJECTS("{\"agent\": {\"allow_devices\": \"yes\"}}",
          "/etc/bottle/bottle.json: agent.allow_devices: expected true or false, got a string");
  REJECTS("{\"agent\": {\"allow_capabilities\": \"CAP_SYS_ADMIN\"}}",
          "/etc/bottle/bottle.json: agent.allow_capabilities: expected an array, got a string");
  REJECTS("{\"agent\": {\"allow_mounts\": [7]}}",
          "/etc/bottle/bottle.json: agent.allow_mounts[0]: expected a string, got a number");
  REJECTS("{\"agent\": {\"allow_mounts\": [\"var/run/docker.sock\"]}}",
          "/etc/bottle/bottle.json: agent.allow_mounts[0]: \"var/run/docker.sock\" is not an "
          "absolute host path; write it as the mount's source on the host, e.g. "
          "\"/var/run/docker.sock\"");
  /* Only the OCI spelling, and only capabilities bottle refuses: a typo must not pass. */
  REJECTS_WITH("{\"agent\": {\"allow_capabilities\": [\"SYS_PTRACE\"]}}",
               "agent.allow_capabilities[0]: \"SYS_PTRACE\" is not a capability bottle refuses "
               "(the others need no allowing); name one of CAP_SYS_ADMIN, CAP_SYS_MODULE,");
  REJECTS_WITH("{\"agent\": {\"allow_capabilities\": [\"CAP_SYS_PTRACE\", \"cap_bpf\"]}}",
               "agent.allow_capabilities[1]: \"cap_bpf\" is not a capability bottle refuses");
  REJECTS("{\"agent\": {\"allow_capabilities\": [\"CAP_NET_ADMIN\"]}}",
          "/etc/bottle/bottle.json: agent.allow_capabilities[0]: \"CAP_NET_ADMIN\" is dropped "
          "from every bottled agent (raw packets and routing would go around the proxy) and cannot "
          "be allowed; remove it");
  REJECTS_WITH(
      "{\"agent\": {\"allow_capabilities\": [\"CAP_WAKE_ALARM\"]}}",
      "agent.allow_capabilities[0]: \"CAP_WAKE_ALARM\" is dropped from every bottled "
      "agent (it is what keeps a process with the sidecar's uid out of pipelock's memory)");
}

int main(void)
{
  RUN(test_defaults);
  RUN(test_every_key);
  RUN(test_malformed_json);
  RUN(test_unknown_and_duplicate_keys);
  RUN(test_wrong_types);
  RUN(test_sidecar_values);
  RUN(test_allowlist_entries_in_file);
  RUN(test_profiles_and_ssh);
  RUN(test_network);
  RUN(test_default_allowlist_env);
  RUN(test_file_location);
  RUN(test_trust);
  RUN(test_ssh_hostname_refusals);
  RUN(test_agent);
  return unit_finish();
}

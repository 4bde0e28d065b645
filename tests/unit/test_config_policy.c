/* One container's policy: precedence of command line, annotations and env, the trust model for
 * the container env, the effective allowlist, SSH targets, the summary line and the sidecar argv.
 */
#include <stdlib.h>
#include <string.h>

#include "config/policy.h"
#include "tests/unit/unit.h"

static char *const no_env[] = {NULL};
static bottle_error_t err;

static const char *profiles_json =
    "{\n"
    "  \"bottles\": {\n"
    "    \"openai\": {\"egress\": {\"allowlist\": [\"api.openai.com\", \"registry.npmjs.org\"]}},\n"
    "    \"one\": {\"egress\": {\"allowlist\": [\"api.openai.com\"]}},\n"
    "    \"forge\": {\n"
    "      \"egress\": {\"allowlist\": [\"*.corp.example\"]},\n"
    "      \"ssh\": [\n"
    "        {\"Host\": \"tail\", \"Hostname\": \"100.101.102.103\", \"Port\": 30009, \"User\": "
    "\"git\"},\n"
    "        {\"Host\": \"lan\", \"Hostname\": \"10.20.0.5\", \"Port\": 22},\n"
    "        {\"Host\": \"git\", \"Hostname\": \"Git.Corp.Example.\", \"Port\": 22}\n"
    "      ]\n"
    "    }\n"
    "  }\n"
    "}\n";

/* json (an object) with extra top-level members appended, e.g. a "trust" object. */
static const char *with(const char *json, const char *members)
{
  static char buf[4096];
  const char *end = strrchr(json, '}');
  snprintf(buf, sizeof(buf), "%.*s, %s}", (int)(end - json), json, members);
  return buf;
}

static struct bottle_config *config(const char *json)
{
  struct bottle_config *cfg = NULL;
  if (cfg_parse(json, json ? strlen(json) : 0, "/etc/bottle/bottle.json", no_env, &cfg, &err) < 0)
    printf("    config: %s\n", err.msg);
  return cfg;
}

static struct bottle_policy *resolve(const struct bottle_config *cfg,
                                     const struct cfg_container_input *in)
{
  struct bottle_policy *pol = NULL;
  berr_clear(&err);
  if (cfg_resolve(cfg, in, &pol, &err) < 0) {
    CHECK(pol == NULL);
    CHECK(err.set);
    return NULL;
  }
  return pol;
}

static cJSON *annotations(const char *json)
{
  cJSON *a = cJSON_Parse(json);
  CHECK(a != NULL);
  return a;
}

static char *summary_of(const struct bottle_policy *pol)
{
  static char line[256];
  char *s = cfg_summary(pol);
  snprintf(line, sizeof(line), "%s", s ? s : "(null)");
  free(s);
  return line;
}

static void test_seed_cases(void)
{
  struct bottle_config *cfg = config(profiles_json);
  struct bottle_policy *pol = resolve(cfg, NULL);
  CHECK(pol != NULL);
  if (pol) {
    CHECK_STREQ(summary_of(pol), "7 hosts allowed (api.anthropic.com, claude.ai, "
                                 "downloads.claude.ai +4 more)");
    CHECK(pol->mode == BOTTLE_MODE_BOTTLED);
    CHECK(pol->profile == NULL && pol->profile_source == NULL);
    CHECK(pol->n_ssh == 0 && pol->ssrf_ip_allowlist.len == 0 && pol->trusted_domains.len == 0);
  }
  cfg_policy_free(pol);

  /* Defaults plus api.openai.com and one more host. */
  struct cfg_container_input in = {.profile = "openai"};
  pol = resolve(cfg, &in);
  CHECK(pol != NULL);
  if (pol)
    CHECK_STREQ(summary_of(pol), "9 hosts allowed (api.anthropic.com, api.openai.com, claude.ai "
                                 "+6 more)");
  cfg_policy_free(pol);
  cfg_free(cfg);
}

static void test_summary_shapes(void)
{
  struct bottle_policy pol = {0};
  CHECK_STREQ(summary_of(&pol), "0 hosts allowed");
  strlist_add(&pol.allowlist, "b.example.com");
  CHECK_STREQ(summary_of(&pol), "1 host allowed (b.example.com)");
  strlist_add(&pol.allowlist, "a.example.com");
  strlist_add(&pol.allowlist, "c.example.com");
  CHECK_STREQ(summary_of(&pol), "3 hosts allowed (a.example.com, b.example.com, c.example.com)");
  strlist_add(&pol.allowlist, "*.d.example.com");
  CHECK_STREQ(summary_of(&pol),
              "4 hosts allowed (*.d.example.com, a.example.com, b.example.com +1 more)");
  strlist_free(&pol.allowlist);
}

/* The profiles, a default list from BOTTLE_DEFAULT_ALLOWLIST, and annotations trusted with the
 * profile forge and extra hosts. */
static struct bottle_config *forge_trusting_config(void)
{
  char *const env[] = {"BOTTLE_DEFAULT_ALLOWLIST=api.anthropic.com,Claude.ai.", NULL};
  struct bottle_config *cfg = NULL;
  const char *json =
      with(profiles_json,
           "\"trust\": {\"annotations\": {\"profiles\": [\"forge\"], \"extra_hosts\": true}}");
  CHECK(cfg_parse(json, strlen(json), "/etc/bottle/bottle.json", env, &cfg, &err) == 0);
  return cfg;
}

static void test_effective_allowlist_union(void)
{
  struct bottle_config *cfg = forge_trusting_config();
  cJSON *ann = annotations("{\"bottle.profile\": \"forge\", \"bottle.egress.allowlist\": "
                           "\"claude.ai, NPM.example.org.,api.anthropic.com\"}");
  char *const allow[] = {"extra.example.net", "*.corp.example", NULL};
  struct cfg_container_input in = {.annotations = ann, .allow = allow};
  struct bottle_policy *pol = cfg ? resolve(cfg, &in) : NULL;
  CHECK(pol != NULL);
  if (pol) {
    /* default ∪ profile ∪ annotation ∪ --allow ∪ SSH hostnames: normalised, unique, sorted */
    static const char *const expect[] = {
        "*.corp.example", "10.20.0.5",         "100.101.102.103",  "api.anthropic.com",
        "claude.ai",      "extra.example.net", "git.corp.example", "npm.example.org",
    };
    CHECK(pol->allowlist.len == sizeof(expect) / sizeof(expect[0]));
    for (size_t i = 0; i < pol->allowlist.len && i < sizeof(expect) / sizeof(expect[0]); i++)
      CHECK_STREQ(pol->allowlist.items[i], expect[i]);
    CHECK_STREQ(pol->profile, "forge");
    CHECK_STREQ(pol->profile_source, "annotation bottle.profile");
    CHECK_STREQ(pol->mode_source, "runtime config /etc/bottle/bottle.json");
  }
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  cfg_free(cfg);
}

static void test_ssh_targets(void)
{
  struct bottle_config *cfg = config(profiles_json);
  struct cfg_container_input in = {.profile = "forge"};
  struct bottle_policy *pol = cfg ? resolve(cfg, &in) : NULL;
  CHECK(pol != NULL);
  if (pol) {
    CHECK(pol->n_ssh == 3);
    CHECK_STREQ(pol->ssh[0].host, "tail");
    CHECK_STREQ(pol->ssh[0].user, "git");
    CHECK(pol->ssh[0].port == 30009);
    CHECK_STREQ(pol->ssh[2].hostname, "git.corp.example");
    /* IPv4 literal -> api_allowlist (exact) and ssrf.ip_allowlist (/32). */
    CHECK(strlist_contains(&pol->allowlist, "100.101.102.103"));
    CHECK(strlist_contains(&pol->allowlist, "10.20.0.5"));
    CHECK(pol->ssrf_ip_allowlist.len == 2);
    CHECK_STREQ(pol->ssrf_ip_allowlist.items[0], "10.20.0.5/32");
    CHECK_STREQ(pol->ssrf_ip_allowlist.items[1], "100.101.102.103/32");
    /* A name -> api_allowlist and trusted_domains (never an IP there). */
    CHECK(strlist_contains(&pol->allowlist, "git.corp.example"));
    CHECK(pol->trusted_domains.len == 1);
    CHECK_STREQ(pol->trusted_domains.items[0], "git.corp.example");
    CHECK_STREQ(summary_of(pol), "11 hosts allowed (*.corp.example, 10.20.0.5, 100.101.102.103 "
                                 "+8 more)");
  }
  cfg_policy_free(pol);
  cfg_free(cfg);
}

static void test_profile_precedence(void)
{
  struct bottle_config *cfg = config("{\"trust_container_env\": true, \"trust\": {\"annotations\": "
                                     "{\"profiles\": [\"*\"]}}, \"bottles\": {\"a\": "
                                     "{\"egress\": {\"allowlist\": [\"a.example\"]}}, \"b\": "
                                     "{\"egress\": {\"allowlist\": [\"b.example\"]}}, \"c\": "
                                     "{\"egress\": {\"allowlist\": [\"c.example\"]}}}}");
  cJSON *ann = annotations("{\"bottle.profile\": \"b\"}");
  char *const env[] = {"BOTTLE_PROFILE=c", NULL};
  struct bottle_policy *pol;

  struct cfg_container_input all = {.annotations = ann, .env = env, .profile = "a"};
  pol = resolve(cfg, &all);
  CHECK(pol && strcmp(pol->profile, "a") == 0);
  if (pol)
    CHECK_STREQ(pol->profile_source, "command line --profile");
  cfg_policy_free(pol);

  struct cfg_container_input ann_env = {.annotations = ann, .env = env};
  pol = resolve(cfg, &ann_env);
  CHECK(pol && strcmp(pol->profile, "b") == 0 && strlist_contains(&pol->allowlist, "b.example") &&
        !strlist_contains(&pol->allowlist, "c.example"));
  cfg_policy_free(pol);

  struct cfg_container_input env_only = {.env = env};
  pol = resolve(cfg, &env_only);
  CHECK(pol && strcmp(pol->profile, "c") == 0);
  if (pol)
    CHECK_STREQ(pol->profile_source, "container env BOTTLE_PROFILE");
  cfg_policy_free(pol);

  /* Empty env value means unset. */
  char *const empty[] = {"BOTTLE_PROFILE=", NULL};
  struct cfg_container_input empty_env = {.env = empty};
  pol = resolve(cfg, &empty_env);
  CHECK(pol && pol->profile == NULL);
  cfg_policy_free(pol);

  cJSON_Delete(ann);
  cfg_free(cfg);
}

static void test_unknown_profile(void)
{
  struct bottle_config *cfg = config(profiles_json);
  struct cfg_container_input in = {.profile = "opneai"};
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg, "command line --profile: unknown profile \"opneai\"; the profiles in "
                       "/etc/bottle/bottle.json are: openai, one, forge");
  cJSON *ann = annotations("{\"bottle.profile\": \"\"}");
  struct cfg_container_input empty = {.annotations = ann};
  CHECK(resolve(cfg, &empty) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.profile is empty; name a profile from bottles in "
                       "/etc/bottle/bottle.json, or remove it");
  cJSON_Delete(ann);
  cfg_free(cfg);

  cfg = config(NULL);
  ann = annotations("{\"bottle.profile\": \"dev\"}");
  struct cfg_container_input none = {.annotations = ann};
  CHECK(resolve(cfg, &none) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.profile: unknown profile \"dev\"; built-in defaults "
                       "defines no profiles (add it under \"bottles\")");
  cJSON_Delete(ann);
  cfg_free(cfg);
}

static void test_allowlist_precedence(void)
{
  struct bottle_config *cfg = config("{\"trust_container_env\": true, \"trust\": {\"annotations\": "
                                     "{\"extra_hosts\": true}}}");
  cJSON *ann = annotations("{\"bottle.egress.allowlist\": \"ann.example\"}");
  char *const env[] = {"BOTTLE_EGRESS_ALLOWLIST=env.example", NULL};

  /* Annotation wins; the env list is not merged in. */
  struct cfg_container_input both = {.annotations = ann, .env = env};
  struct bottle_policy *pol = resolve(cfg, &both);
  CHECK(pol && strlist_contains(&pol->allowlist, "ann.example") &&
        !strlist_contains(&pol->allowlist, "env.example") && pol->allowlist.len == 8);
  cfg_policy_free(pol);

  struct cfg_container_input env_only = {.env = env};
  pol = resolve(cfg, &env_only);
  CHECK(pol && strlist_contains(&pol->allowlist, "env.example") && pol->allowlist.len == 8);
  cfg_policy_free(pol);

  /* An annotation set to "" still wins over env (it asks for no extra hosts). */
  cJSON *blank = annotations("{\"bottle.egress.allowlist\": \"\"}");
  struct cfg_container_input blank_ann = {.annotations = blank, .env = env};
  pol = resolve(cfg, &blank_ann);
  CHECK(pol && pol->allowlist.len == 7);
  cfg_policy_free(pol);

  cJSON *bad = annotations("{\"bottle.egress.allowlist\": \"ok.example, https://x.example\"}");
  struct cfg_container_input bad_ann = {.annotations = bad};
  CHECK(resolve(cfg, &bad_ann) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.egress.allowlist entry 2: \"https://x.example\" is a "
                       "URL; write only the host name, e.g. \"example.com\"");

  char *const bad_env[] = {"BOTTLE_EGRESS_ALLOWLIST=*.com", NULL};
  struct cfg_container_input bad_env_in = {.env = bad_env};
  CHECK(resolve(cfg, &bad_env_in) == NULL);
  CHECK_STREQ(err.msg, "container env BOTTLE_EGRESS_ALLOWLIST entry 1: \"*.com\" is a wildcard "
                       "over a whole top-level domain; \"*.\" needs at least two labels after it, "
                       "e.g. \"*.example.com\"");

  char *const allow[] = {"good.example", "bad example", NULL};
  struct cfg_container_input cli = {.allow = allow};
  CHECK(resolve(cfg, &cli) == NULL);
  CHECK_STREQ(err.msg, "command line --allow #2: \"bad example\" contains a space; write one host "
                       "name per entry");

  cJSON_Delete(ann);
  cJSON_Delete(blank);
  cJSON_Delete(bad);
  cfg_free(cfg);
}

static void test_untrusted_container_env(void)
{
  struct bottle_config *cfg = config("{\"bottles\": {\"wide\": {}}}");
  char *const profile[] = {"BOTTLE_PROFILE=wide", NULL};
  struct cfg_container_input in = {.env = profile};
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg, "container env BOTTLE_PROFILE=\"wide\" would loosen the bottle, and "
                       "/etc/bottle/bottle.json does not trust the container env with that (an "
                       "image's ENV sets it); to allow it set \"trust\": {\"env\": {\"profiles\": "
                       "[\"wide\"]}} in /etc/bottle/bottle.json");

  char *const allow[] = {"BOTTLE_EGRESS_ALLOWLIST=evil.example", NULL};
  in.env = allow;
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg, "container env BOTTLE_EGRESS_ALLOWLIST=\"evil.example\" would loosen the "
                       "bottle, and /etc/bottle/bottle.json does not trust the container env with "
                       "that (an image's ENV sets it); to allow it set \"trust\": {\"env\": "
                       "{\"extra_hosts\": true}} in /etc/bottle/bottle.json");

  char *const plain[] = {"BOTTLE_MODE=plain", NULL};
  in.env = plain;
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg, "container env BOTTLE_MODE=\"plain\" would loosen the bottle, and "
                       "/etc/bottle/bottle.json does not trust the container env with that (an "
                       "image's ENV sets it); to allow it set \"trust\": {\"env\": {\"plain\": "
                       "true}} in /etc/bottle/bottle.json");

  /* Tightening is always fine. */
  char *const bottled[] = {"BOTTLE_MODE=bottled", NULL};
  in.env = bottled;
  struct bottle_policy *pol = resolve(cfg, &in);
  CHECK(pol && pol->mode == BOTTLE_MODE_BOTTLED);
  if (pol)
    CHECK_STREQ(pol->mode_source, "container env BOTTLE_MODE");
  cfg_policy_free(pol);
  cfg_free(cfg);

  /* With the annotation set, the env is not consulted at all. */
  cfg = config("{\"bottles\": {\"wide\": {}}, \"trust\": {\"annotations\": {\"profiles\": "
               "[\"wide\"]}}}");
  cJSON *ann = annotations("{\"bottle.profile\": \"wide\", \"bottle.egress.allowlist\": \"\", "
                           "\"bottle.mode\": \"bottled\"}");
  char *const all[] = {"BOTTLE_PROFILE=nope", "BOTTLE_EGRESS_ALLOWLIST=evil.example",
                       "BOTTLE_MODE=plain", NULL};
  struct cfg_container_input covered = {.annotations = ann, .env = all};
  pol = resolve(cfg, &covered);
  CHECK(pol && pol->mode == BOTTLE_MODE_BOTTLED &&
        !strlist_contains(&pol->allowlist, "evil.example"));
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  cfg_free(cfg);
}

/* Every loosening setting from annotations and from the env, against every kind of opt-in: only
 * the matching opt-in of the matching source lets it through. */
enum { S_PLAIN, S_PROFILE_DEV, S_PROFILE_WIDE, S_HOSTS_NEW, S_HOSTS_KNOWN, S_BOTTLED, S_COUNT };

static void ask_setting(int setting, bool from_env, cJSON **ann, char **env)
{
  static const char *const ann_json[] = {
      "{\"bottle.mode\": \"plain\"}",
      "{\"bottle.profile\": \"dev\"}",
      "{\"bottle.profile\": \"wide\"}",
      "{\"bottle.egress.allowlist\": \"a.example,new.example\"}",
      /* each already allowed by the default list: exact, or under its *.corp.example */
      "{\"bottle.egress.allowlist\": \"a.example, x.corp.example,*.sub.corp.example,"
      "Corp.Example.\"}",
      "{\"bottle.mode\": \"bottled\"}",
  };
  static char *const env_kv[] = {
      "BOTTLE_MODE=plain",
      "BOTTLE_PROFILE=dev",
      "BOTTLE_PROFILE=wide",
      "BOTTLE_EGRESS_ALLOWLIST=a.example,new.example",
      "BOTTLE_EGRESS_ALLOWLIST=a.example, x.corp.example,*.sub.corp.example,Corp.Example.",
      "BOTTLE_MODE=bottled",
  };
  *ann = from_env ? NULL : annotations(ann_json[setting]);
  env[0] = from_env ? env_kv[setting] : NULL;
  env[1] = NULL;
}

static void test_trust_matrix(void)
{
  static const char *const base =
      "{\"egress\": {\"default_allowlist\": [\"a.example\", \"*.corp.example\"]}, \"bottles\": {"
      "\"dev\": {\"egress\": {\"allowlist\": [\"dev.example\"]}, \"ssh\": [{\"Host\": \"git\", "
      "\"Hostname\": \"git.example\", \"Port\": 22}]}, \"wide\": {\"egress\": {\"allowlist\": "
      "[\"wide.example\"]}}}}";
  static const struct {
    const char *members; /* appended to base */
    /* [0]: annotations, [1]: env; per setting S_PLAIN..S_HOSTS_NEW */
    bool allowed[2][4];
  } trusts[] = {
      {"", {{0, 0, 0, 0}, {0, 0, 0, 0}}},
      {"\"trust_container_env\": false", {{0, 0, 0, 0}, {0, 0, 0, 0}}},
      {"\"trust\": {}", {{0, 0, 0, 0}, {0, 0, 0, 0}}},
      {"\"trust\": {\"annotations\": {}, \"env\": {\"plain\": false, \"profiles\": [], "
       "\"extra_hosts\": false}}",
       {{0, 0, 0, 0}, {0, 0, 0, 0}}},
      {"\"trust\": {\"annotations\": {\"plain\": true}}", {{1, 0, 0, 0}, {0, 0, 0, 0}}},
      {"\"trust\": {\"annotations\": {\"profiles\": [\"dev\"]}}", {{0, 1, 0, 0}, {0, 0, 0, 0}}},
      {"\"trust\": {\"annotations\": {\"profiles\": [\"*\"]}}", {{0, 1, 1, 0}, {0, 0, 0, 0}}},
      {"\"trust\": {\"annotations\": {\"extra_hosts\": true}}", {{0, 0, 0, 1}, {0, 0, 0, 0}}},
      {"\"trust\": {\"annotations\": {\"plain\": true, \"profiles\": [\"*\"], \"extra_hosts\": "
       "true}}",
       {{1, 1, 1, 1}, {0, 0, 0, 0}}},
      {"\"trust\": {\"env\": {\"plain\": true}}", {{0, 0, 0, 0}, {1, 0, 0, 0}}},
      {"\"trust\": {\"env\": {\"profiles\": [\"wide\"]}}", {{0, 0, 0, 0}, {0, 0, 1, 0}}},
      {"\"trust\": {\"env\": {\"extra_hosts\": true}}", {{0, 0, 0, 0}, {0, 0, 0, 1}}},
      {"\"trust_container_env\": true", {{0, 0, 0, 0}, {1, 1, 1, 1}}},
      {"\"trust_container_env\": true, \"trust\": {\"annotations\": {\"profiles\": [\"dev\", "
       "\"wide\"], \"extra_hosts\": true}}",
       {{0, 1, 1, 1}, {1, 1, 1, 1}}},
  };
  static const char *const keys[] = {"{\"plain\": true}", "{\"profiles\": [\"dev\"]}",
                                     "{\"profiles\": [\"wide\"]}", "{\"extra_hosts\": true}"};
  for (size_t t = 0; t < sizeof(trusts) / sizeof(trusts[0]); t++) {
    struct bottle_config *cfg = config(trusts[t].members[0] ? with(base, trusts[t].members) : base);
    CHECK(cfg != NULL);
    if (cfg == NULL)
      continue;
    for (int from_env = 0; from_env < 2; from_env++) {
      for (int setting = 0; setting < S_COUNT; setting++) {
        cJSON *ann;
        char *env[2];
        ask_setting(setting, from_env, &ann, env);
        struct cfg_container_input in = {.annotations = ann, .env = env};
        bool want = setting >= S_HOSTS_KNOWN || trusts[t].allowed[from_env][setting];
        struct bottle_policy *pol = resolve(cfg, &in);
        if ((pol != NULL) != want)
          printf("    trust %s, %s, setting %d: %s\n", trusts[t].members,
                 from_env ? "env" : "annotation", setting, pol ? "honoured" : err.msg);
        CHECK((pol != NULL) == want);
        if (pol) {
          CHECK((pol->mode == BOTTLE_MODE_PLAIN) == (setting == S_PLAIN));
          CHECK((pol->profile != NULL) == (setting == S_PROFILE_DEV || setting == S_PROFILE_WIDE));
          CHECK(strlist_contains(&pol->allowlist, "new.example") == (setting == S_HOSTS_NEW));
          CHECK(strlist_contains(&pol->allowlist, "git.example") == (setting == S_PROFILE_DEV));
          CHECK(pol->trusted_domains.len == (setting == S_PROFILE_DEV));
        } else {
          /* One line: the setting and value, and the exact key of the matching source. */
          char key[128];
          snprintf(key, sizeof(key),
                   "to allow it set \"trust\": {\"%s\": %s} in "
                   "/etc/bottle/bottle.json",
                   from_env ? "env" : "annotations", keys[setting]);
          CHECK_CONTAINS(err.msg, key);
          CHECK_CONTAINS(err.msg, from_env ? "container env BOTTLE_" : "annotation bottle.");
          CHECK(strchr(err.msg, '\n') == NULL);
        }
        cfg_policy_free(pol);
        cJSON_Delete(ann);
      }
    }
    cfg_free(cfg);
  }
}

/* What needs no trust: the operator's bottle-run flags, plain when plain is configured, hosts
 * the chosen profile already allows. */
static void test_trust_not_needed(void)
{
  struct bottle_config *cfg = config("{\"bottles\": {\"wide\": {\"egress\": {\"allowlist\": "
                                     "[\"*.wide.example\"]}}}}");
  char *const allow[] = {"new.example", NULL};
  struct cfg_container_input cli = {.profile = "wide", .allow = allow};
  struct bottle_policy *pol = resolve(cfg, &cli);
  CHECK(pol && strlist_contains(&pol->allowlist, "new.example") &&
        strlist_contains(&pol->allowlist, "*.wide.example"));
  cfg_policy_free(pol);
  /* --profile (the operator's) over an untrusted annotation: the annotation is not consulted. */
  cJSON *ann = annotations("{\"bottle.profile\": \"wide\"}");
  struct cfg_container_input cli_ann = {.annotations = ann, .profile = "wide"};
  pol = resolve(cfg, &cli_ann);
  CHECK(pol && pol->profile_source && strcmp(pol->profile_source, "command line --profile") == 0);
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  /* Hosts the chosen profile allows already widen nothing. */
  ann = annotations("{\"bottle.egress.allowlist\": \"a.wide.example\"}");
  struct cfg_container_input known = {.annotations = ann, .profile = "wide"};
  pol = resolve(cfg, &known);
  CHECK(pol != NULL);
  cfg_policy_free(pol);
  struct cfg_container_input unknown = {.annotations = ann};
  CHECK(resolve(cfg, &unknown) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.egress.allowlist=\"a.wide.example\" would loosen the "
                       "bottle, and /etc/bottle/bottle.json does not trust annotations with that "
                       "(an image or a pod's author can set them); to allow it set \"trust\": "
                       "{\"annotations\": {\"extra_hosts\": true}} in /etc/bottle/bottle.json");
  cJSON_Delete(ann);
  /* A wildcard is not covered by the exact name it sits over. */
  cfg_free(cfg);
  cfg = config("{\"egress\": {\"default_allowlist\": [\"corp.example\"]}}");
  ann = annotations("{\"bottle.egress.allowlist\": \"*.corp.example\"}");
  struct cfg_container_input wider = {.annotations = ann};
  CHECK(resolve(cfg, &wider) == NULL);
  cJSON_Delete(ann);
  ann = annotations("{\"bottle.egress.allowlist\": \"evilcorp.example\"}");
  struct cfg_container_input suffix = {.annotations = ann};
  CHECK(resolve(cfg, &suffix) == NULL);
  cJSON_Delete(ann);
  cfg_free(cfg);

  /* Configured plain: plain from anywhere changes nothing. */
  cfg = config("{\"mode\": \"plain\"}");
  ann = annotations("{\"bottle.mode\": \"plain\"}");
  char *const env[] = {"BOTTLE_MODE=plain", NULL};
  struct cfg_container_input both = {.annotations = ann, .env = env};
  pol = resolve(cfg, &both);
  CHECK(pol && pol->mode == BOTTLE_MODE_PLAIN);
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  cfg_free(cfg);
}

static void test_mode(void)
{
  struct bottle_config *cfg = config("{\"mode\": \"plain\"}");
  struct bottle_policy *pol = resolve(cfg, NULL);
  CHECK(pol && pol->mode == BOTTLE_MODE_PLAIN);
  cfg_policy_free(pol);

  cJSON *ann = annotations("{\"bottle.mode\": \"bottled\"}");
  char *const env[] = {"BOTTLE_MODE=plain", NULL};
  struct cfg_container_input in = {.annotations = ann, .env = env};
  pol = resolve(cfg, &in);
  CHECK(pol && pol->mode == BOTTLE_MODE_BOTTLED);
  if (pol)
    CHECK_STREQ(pol->mode_source, "annotation bottle.mode");
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  cfg_free(cfg);

  cfg = config("{\"trust\": {\"annotations\": {\"plain\": true}}}");
  ann = annotations("{\"bottle.mode\": \"plain\"}");
  struct cfg_container_input plain = {.annotations = ann};
  pol = resolve(cfg, &plain);
  CHECK(pol && pol->mode == BOTTLE_MODE_PLAIN);
  CHECK_STREQ(cfg_mode_name(BOTTLE_MODE_PLAIN), "plain");
  CHECK_STREQ(cfg_mode_name(BOTTLE_MODE_BOTTLED), "bottled");
  cfg_policy_free(pol);
  cJSON_Delete(ann);

  ann = annotations("{\"bottle.mode\": \"Plain\"}");
  struct cfg_container_input bad = {.annotations = ann};
  CHECK(resolve(cfg, &bad) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.mode: \"Plain\" is not a mode; use \"bottled\" or "
                       "\"plain\"");
  cJSON_Delete(ann);

  char *const trusted_plain[] = {"BOTTLE_MODE=off", NULL};
  struct cfg_container_input bad_env = {.env = trusted_plain};
  CHECK(resolve(cfg, &bad_env) == NULL);
  CHECK_STREQ(err.msg, "container env BOTTLE_MODE: \"off\" is not a mode; use \"bottled\" or "
                       "\"plain\"");
  cfg_free(cfg);

  /* Untrusted env repeating the configured plain mode widens nothing. */
  cfg = config("{\"mode\": \"plain\"}");
  char *const same[] = {"BOTTLE_MODE=plain", NULL};
  struct cfg_container_input env_same = {.env = same};
  pol = resolve(cfg, &env_same);
  CHECK(pol && pol->mode == BOTTLE_MODE_PLAIN);
  cfg_policy_free(pol);
  cfg_free(cfg);

  /* Trusted env may choose plain. */
  cfg = config("{\"trust_container_env\": true}");
  char *const p[] = {"BOTTLE_MODE=plain", NULL};
  struct cfg_container_input env_plain = {.env = p};
  pol = resolve(cfg, &env_plain);
  CHECK(pol && pol->mode == BOTTLE_MODE_PLAIN);
  cfg_policy_free(pol);
  cfg_free(cfg);
}

/* Inbound: the container's side may close it, never open what the operator closed, whatever
 * it is trusted with. */
static void test_inbound(void)
{
  struct bottle_config *cfg = config(NULL);
  struct bottle_policy *pol = resolve(cfg, NULL);
  CHECK(pol && pol->inbound);
  cfg_policy_free(pol);

  cJSON *ann = annotations("{\"bottle.network.inbound\": \"none\"}");
  char *const env_tcp[] = {"BOTTLE_NETWORK_INBOUND=tcp", NULL};
  struct cfg_container_input in = {.annotations = ann, .env = env_tcp};
  pol = resolve(cfg, &in);
  CHECK(pol && !pol->inbound);
  cfg_policy_free(pol);
  cJSON_Delete(ann);

  char *const env_none[] = {"BOTTLE_NETWORK_INBOUND=none", NULL};
  struct cfg_container_input by_env = {.env = env_none};
  pol = resolve(cfg, &by_env);
  CHECK(pol && !pol->inbound);
  cfg_policy_free(pol);

  ann = annotations("{\"bottle.network.inbound\": \"udp\"}");
  struct cfg_container_input bad = {.annotations = ann};
  CHECK(resolve(cfg, &bad) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.network.inbound: \"udp\" is not a setting; use "
                       "\"none\" (or \"tcp\", the default)");
  cJSON_Delete(ann);
  cfg_free(cfg);

  cfg = config("{\"network\": {\"inbound\": \"none\"}, \"trust_container_env\": true, "
               "\"trust\": {\"annotations\": {\"plain\": true, \"extra_hosts\": true, "
               "\"profiles\": [\"*\"]}}}");
  pol = resolve(cfg, NULL);
  CHECK(pol && !pol->inbound);
  cfg_policy_free(pol);
  ann = annotations("{\"bottle.network.inbound\": \"tcp\"}");
  struct cfg_container_input open_ann = {.annotations = ann};
  CHECK(resolve(cfg, &open_ann) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.network.inbound=\"tcp\" would open what "
                       "/etc/bottle/bottle.json closes (network.inbound \"none\"); only the "
                       "runtime config can let connections in");
  cJSON_Delete(ann);
  struct cfg_container_input open_env = {.env = env_tcp};
  CHECK(resolve(cfg, &open_env) == NULL);
  CHECK_CONTAINS(err.msg, "container env BOTTLE_NETWORK_INBOUND=\"tcp\" would open what");
  struct cfg_container_input same = {.env = env_none};
  pol = resolve(cfg, &same);
  CHECK(pol && !pol->inbound);
  cfg_policy_free(pol);
  cfg_free(cfg);
}

static void test_annotation_shapes(void)
{
  struct bottle_config *cfg = config(NULL);
  cJSON *ann = annotations("{\"bottle.egress.alowlist\": \"x.example\"}");
  struct cfg_container_input in = {.annotations = ann};
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg,
              "annotation \"bottle.egress.alowlist\": unknown bottle annotation; check the "
              "spelling (known: bottle.profile, bottle.egress.allowlist, bottle.mode, "
              "bottle.network.inbound)");
  cJSON_Delete(ann);

  ann = annotations("{\"bottle.profile\": 5}");
  in.annotations = ann;
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.profile: expected a string value, got a number");
  cJSON_Delete(ann);

  ann = annotations("{\"bottle.mode\": \"plain\", \"bottle.mode\": \"bottled\"}");
  in.annotations = ann;
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg, "annotation bottle.mode appears twice; keep one");
  cJSON_Delete(ann);

  ann = annotations("[\"bottle.mode\"]");
  in.annotations = ann;
  CHECK(resolve(cfg, &in) == NULL);
  CHECK_STREQ(err.msg, "config.json annotations: expected an object of strings, got an array");
  cJSON_Delete(ann);

  /* Other annotations are none of bottle's business; null means none. */
  ann = annotations("{\"org.opencontainers.image.title\": \"x\", \"io.kubernetes.pod\": 3}");
  in.annotations = ann;
  struct bottle_policy *pol = resolve(cfg, &in);
  CHECK(pol && pol->allowlist.len == 7);
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  ann = cJSON_CreateNull();
  in.annotations = ann;
  pol = resolve(cfg, &in);
  CHECK(pol != NULL);
  cfg_policy_free(pol);
  cJSON_Delete(ann);
  cfg_free(cfg);
}

static void test_empty_allowlist(void)
{
  struct bottle_config *cfg = config("{\"egress\": {\"default_allowlist\": []}, \"bottles\": "
                                     "{\"x\": {\"egress\": {\"allowlist\": [\"x.example\"]}}}}");
  CHECK(resolve(cfg, NULL) == NULL);
  CHECK_STREQ(err.msg, "no host is allowed (the default allowlist in /etc/bottle/bottle.json is "
                       "empty and nothing was added); pipelock's strict mode needs at least one: "
                       "add hosts to egress.default_allowlist, the profile or the annotation "
                       "bottle.egress.allowlist");
  struct cfg_container_input in = {.profile = "x"};
  struct bottle_policy *pol = resolve(cfg, &in);
  CHECK(pol && pol->allowlist.len == 1);
  cfg_policy_free(pol);
  cfg_free(cfg);

  /* A plain container needs no hosts. */
  cfg = config("{\"mode\": \"plain\", \"egress\": {\"default_allowlist\": []}}");
  pol = resolve(cfg, NULL);
  CHECK(pol && pol->mode == BOTTLE_MODE_PLAIN);
  cfg_policy_free(pol);
  cfg_free(cfg);
}

static void test_sidecar_argv(void)
{
  struct bottle_config *cfg = config(NULL);
  char **argv = cfg_sidecar_argv(cfg, "10.231.0.1", 8888, &err);
  CHECK(argv != NULL);
  if (argv) {
    static const char *const expect[] = {"/pipelock",       "run",      "--listen",
                                         "10.231.0.1:8888", "--config", "/etc/pipelock.yaml"};
    for (size_t i = 0; i < 6; i++)
      CHECK_STREQ(argv[i], expect[i]);
    CHECK(argv[6] == NULL);
  }
  cfg_argv_free(argv);
  cfg_free(cfg);

  const char *unknown = "{\"sidecar\": {\"args\": [\"/p\", \"--listen={listen}\", \"{ip}\", "
                        "\"port={port}{port}\", \"{plain\"]}}";
  CHECK(cfg_parse(unknown, strlen(unknown), "b.json", no_env, &cfg, &err) < 0 && cfg == NULL);
  CHECK_CONTAINS(err.msg, "sidecar.args[4]: \"{plain\" has an unknown placeholder");
  cfg = config("{\"sidecar\": {\"args\": [\"/p\", \"--listen={listen}\", \"{ip}\", "
               "\"port={port}{port}\", \"x\"]}}");
  argv = cfg ? cfg_sidecar_argv(cfg, "192.0.2.1", 3128, &err) : NULL;
  CHECK(argv != NULL);
  if (argv) {
    CHECK_STREQ(argv[1], "--listen=192.0.2.1:3128");
    CHECK_STREQ(argv[2], "192.0.2.1");
    CHECK_STREQ(argv[3], "port=31283128");
    CHECK_STREQ(argv[4], "x");
    CHECK(argv[5] == NULL);
  }
  cfg_argv_free(argv);

  CHECK(cfg_sidecar_argv(cfg, "10.231.0.01", 8888, &err) == NULL);
  CHECK_STREQ(err.msg, "sidecar argv: listen address \"10.231.0.01\" is not a canonical IPv4 "
                       "address");
  CHECK(cfg_sidecar_argv(cfg, "10.231.0.1", 0, &err) == NULL);
  CHECK_STREQ(err.msg, "sidecar argv: listen port 0 is out of range 1-65535");
  CHECK(cfg_sidecar_argv(cfg, NULL, 1, &err) == NULL);
  cfg_free(cfg);
}

static const char *origins_of(const struct bottle_policy *pol, const char *host)
{
  static char buf[512];
  return cfg_policy_origins(pol, host, buf, sizeof(buf));
}

/* Where each host came from, as `bottle policy ID` shows it. */
static void test_origins(void)
{
  struct bottle_config *cfg = forge_trusting_config();
  cJSON *ann = annotations("{\"bottle.profile\": \"forge\", \"bottle.egress.allowlist\": "
                           "\"claude.ai, NPM.example.org.\"}");
  char *const allow[] = {"Extra.example.net", NULL};
  struct cfg_container_input in = {.annotations = ann, .allow = allow};
  struct bottle_policy *pol = cfg ? resolve(cfg, &in) : NULL;
  CHECK(pol != NULL);
  if (pol) {
    CHECK_STREQ(origins_of(pol, "api.anthropic.com"), "default");
    CHECK_STREQ(origins_of(pol, "claude.ai"), "default, annotation bottle.egress.allowlist");
    CHECK_STREQ(origins_of(pol, "npm.example.org"), "annotation bottle.egress.allowlist");
    CHECK_STREQ(origins_of(pol, "*.corp.example"), "profile forge");
    CHECK_STREQ(origins_of(pol, "100.101.102.103"), "ssh tail");
    CHECK_STREQ(origins_of(pol, "git.corp.example"), "ssh git");
    CHECK_STREQ(origins_of(pol, "extra.example.net"), "command line --allow");
    for (size_t i = 0; i < pol->allowlist.len; i++)
      CHECK(origins_of(pol, pol->allowlist.items[i])[0] != '\0', "%s has an origin",
            pol->allowlist.items[i]);
  }
  cfg_policy_free(pol);
  cJSON_Delete(ann);

  char *const cenv[] = {"BOTTLE_EGRESS_ALLOWLIST=claude.ai", NULL};
  struct cfg_container_input from_env = {.env = cenv};
  pol = cfg ? resolve(cfg, &from_env) : NULL;
  CHECK(pol != NULL);
  if (pol)
    CHECK_STREQ(origins_of(pol, "claude.ai"), "default, container env BOTTLE_EGRESS_ALLOWLIST");
  cfg_policy_free(pol);
  cfg_free(cfg);
}

static char *yaml_of(const struct bottle_policy *pol)
{
  bottle_error_t e = {0};
  return cfg_pipelock_yaml(pol, "10.231.0.1", 8888, NULL, &e);
}

/* A running bottle's policy: kept as JSON, it gives the same YAML back byte for byte; allow
 * and deny validate as every other input and change nothing when refused. */
static void test_live_policy(void)
{
  struct bottle_config *cfg = config(profiles_json);
  struct cfg_container_input in = {.profile = "forge"};
  struct bottle_policy *pol = cfg ? resolve(cfg, &in) : NULL, *back = NULL;
  CHECK(pol != NULL);
  if (pol == NULL) {
    cfg_free(cfg);
    return;
  }
  cJSON *j = cfg_policy_to_json(pol);
  CHECK(cfg_policy_from_json(j, &back, &err) == 0, "%s", err.msg);
  char *before = yaml_of(pol), *again = back ? yaml_of(back) : NULL;
  CHECK(before != NULL && again != NULL && strcmp(before, again) == 0);
  if (back)
    CHECK_STREQ(origins_of(back, "git.corp.example"), "ssh git");
  free(again);

  char normal[254];
  CHECK(cfg_policy_allow(back, "New.Example.org.", "bottle policy --allow", normal, &err) == 0);
  CHECK_STREQ(normal, "new.example.org");
  CHECK(strlist_contains(&back->allowlist, "new.example.org"));
  CHECK_STREQ(origins_of(back, "new.example.org"), "bottle policy --allow");
  berr_clear(&err);
  CHECK(cfg_policy_allow(back, "https://x.example.org/", "bottle policy --allow", normal, &err) <
        0);
  CHECK(strstr(err.msg, "--allow: \"https://x.example.org/\"") == err.msg, "%s", err.msg);
  CHECK(cfg_policy_deny(back, "new.example.org", normal, &err) == 0);
  again = yaml_of(back);
  CHECK(again != NULL && strcmp(before, again) == 0, "allow then deny gives the YAML back");
  free(again);

  /* a host a wildcard covers is denied by its entry; an unknown one is a typo */
  berr_clear(&err);
  CHECK(cfg_policy_deny(back, "api.corp.example", normal, &err) < 0);
  CHECK_STREQ(err.msg, "--deny \"api.corp.example\": the entry \"*.corp.example\" allows it; "
                       "deny \"*.corp.example\" (and allow the names to keep)");
  berr_clear(&err);
  CHECK(cfg_policy_deny(back, "nowhere.example", normal, &err) < 0);
  CHECK(strstr(err.msg, "not in the allowlist") != NULL, "%s", err.msg);
  berr_clear(&err);
  CHECK(cfg_policy_deny(back, "bad host", normal, &err) < 0);
  CHECK(strstr(err.msg, "--deny: \"bad host\" ") == err.msg, "%s", err.msg);
  /* a profile's or default's host may be denied (tightening), but not the last one */
  CHECK(cfg_policy_deny(back, "claude.ai", normal, &err) == 0);
  CHECK(!strlist_contains(&back->allowlist, "claude.ai"));
  CHECK_STREQ(origins_of(back, "claude.ai"), "");
  while (back->allowlist.len > 1)
    CHECK(cfg_policy_deny(back, back->allowlist.items[0], normal, &err) == 0);
  berr_clear(&err);
  CHECK(cfg_policy_deny(back, back->allowlist.items[0], normal, &err) < 0);
  CHECK(strstr(err.msg, "last allowed host") != NULL, "%s", err.msg);

  /* state that does not validate is refused */
  cJSON *bad = cJSON_Parse("{\"allowlist\": [{\"host\": \"Not Normal\"}]}");
  struct bottle_policy *none = NULL;
  CHECK(cfg_policy_from_json(bad, &none, &err) < 0 && none == NULL);
  CHECK(strstr(err.msg, "is not a normalised host") != NULL, "%s", err.msg);
  cJSON_Delete(bad);
  bad = cJSON_Parse("{\"allowlist\": []}");
  CHECK(cfg_policy_from_json(bad, &none, &err) < 0 && none == NULL);
  cJSON_Delete(bad);

  free(before);
  cJSON_Delete(j);
  cfg_policy_free(back);
  cfg_policy_free(pol);
  cfg_free(cfg);
}

int main(void)
{
  RUN(test_seed_cases);
  RUN(test_summary_shapes);
  RUN(test_effective_allowlist_union);
  RUN(test_ssh_targets);
  RUN(test_profile_precedence);
  RUN(test_unknown_profile);
  RUN(test_allowlist_precedence);
  RUN(test_untrusted_container_env);
  RUN(test_trust_matrix);
  RUN(test_trust_not_needed);
  RUN(test_mode);
  RUN(test_inbound);
  RUN(test_annotation_shapes);
  RUN(test_empty_allowlist);
  RUN(test_sidecar_argv);
  RUN(test_origins);
  RUN(test_live_policy);
  return unit_finish();
}

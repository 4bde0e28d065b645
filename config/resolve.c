/* One container's policy from the runtime config, its annotations and its env. The precedence and
 * the trust model are described in config/policy.h and docs/configuration.md. */
#include "config/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/env.h"
#include "config/hostlist.h"
#include "config/ssh_target.h"

#define ANN_PROFILE "bottle.profile"
#define ANN_ALLOWLIST "bottle.egress.allowlist"
#define ANN_MODE "bottle.mode"
#define ANN_INBOUND "bottle.network.inbound"

struct container_asks {
  const char *ann_profile, *ann_allowlist, *ann_mode, *ann_inbound;
  const char *env_profile, *env_allowlist, *env_mode, *env_inbound;
};

/* One per-container setting as asked, and what its source is trusted with. */
struct ask {
  const char *value;     /* NULL: not asked */
  const char *name;      /* "bottle.mode", "BOTTLE_MODE" */
  const char *trust_key; /* "annotations" or "env": the object under bottle.json "trust" */
  const struct cfg_trust *trust;
};

/* The annotation when set (even to ""), else the env variable: the two are never merged. */
static struct ask pick(const struct bottle_config *cfg, const char *ann, const char *ann_name,
                       const char *env, const char *env_name)
{
  if (ann)
    return (struct ask){ann, ann_name, "annotations", &cfg->trust_annotations};
  return (struct ask){env, env_name, "env", &cfg->trust_env};
}

static bool from_env(const struct ask *a)
{
  return a->trust_key[0] == 'e';
}

static const char *origin_of(const struct ask *a, char *buf, size_t size)
{
  snprintf(buf, size, "%s %s", from_env(a) ? "container env" : "annotation", a->name);
  return buf;
}

static int read_annotations(const cJSON *annotations, struct container_asks *asks,
                            bottle_error_t *err)
{
  static const char *const known[] = {ANN_PROFILE, ANN_ALLOWLIST, ANN_MODE, ANN_INBOUND, NULL};
  if (annotations == NULL || cJSON_IsNull(annotations))
    return 0;
  if (!cJSON_IsObject(annotations))
    return berr(err, 0, "config.json annotations: expected an object of strings, got %s",
                json_type_name(annotations));
  char shown[128];
  for (const cJSON *item = annotations->child; item; item = item->next) {
    const char *key = item->string ? item->string : "";
    if (strncmp(key, "bottle.", 7) != 0)
      continue;
    const char **slot = NULL;
    if (strcmp(key, ANN_PROFILE) == 0)
      slot = &asks->ann_profile;
    else if (strcmp(key, ANN_ALLOWLIST) == 0)
      slot = &asks->ann_allowlist;
    else if (strcmp(key, ANN_MODE) == 0)
      slot = &asks->ann_mode;
    else if (strcmp(key, ANN_INBOUND) == 0)
      slot = &asks->ann_inbound;
    if (slot == NULL)
      return berr(err, 0,
                  "annotation %s: unknown bottle annotation; check the spelling (known: %s, "
                  "%s, %s, %s)",
                  cfg_quote(key, strlen(key), shown, sizeof(shown)), known[0], known[1], known[2],
                  known[3]);
    if (*slot != NULL)
      return berr(err, 0, "annotation %s appears twice; keep one", key);
    if (!cJSON_IsString(item))
      return berr(err, 0, "annotation %s: expected a string value, got %s", key,
                  json_type_name(item));
    *slot = item->valuestring;
  }
  return 0;
}

static void read_env(char *const *env, struct container_asks *asks)
{
  const char *v;
  /* Empty means unset, as in a shell: `docker run -e BOTTLE_PROFILE=` asks for nothing. */
  if ((v = env_lookup(env, "BOTTLE_PROFILE")) && v[0])
    asks->env_profile = v;
  if ((v = env_lookup(env, "BOTTLE_EGRESS_ALLOWLIST")) && v[0])
    asks->env_allowlist = v;
  if ((v = env_lookup(env, "BOTTLE_MODE")) && v[0])
    asks->env_mode = v;
  if ((v = env_lookup(env, "BOTTLE_NETWORK_INBOUND")) && v[0])
    asks->env_inbound = v;
}

/* One line: the setting, the value, who can set it, and the exact bottle.json key to allow it. */
static int refuse(const struct bottle_config *cfg, const struct ask *a, const char *value,
                  const char *allow, bottle_error_t *err)
{
  char shown[128], origin[64];
  bool env = from_env(a);
  return berr(err, 0,
              "%s=%s would loosen the bottle, and %s does not trust %s with that (%s); to "
              "allow it set \"trust\": {\"%s\": %s} in %s",
              origin_of(a, origin, sizeof(origin)),
              cfg_quote(value, strlen(value), shown, sizeof(shown)), cfg->source,
              env ? "the container env" : "annotations",
              env ? "an image's ENV sets it" : "an image or a pod's author can set them",
              a->trust_key, allow, cfg->source);
}

static int resolve_mode(struct bottle_policy *pol, const struct bottle_config *cfg,
                        const struct container_asks *asks, bottle_error_t *err)
{
  char shown[128], source[300];
  struct ask a = pick(cfg, asks->ann_mode, ANN_MODE, asks->env_mode, "BOTTLE_MODE");
  if (a.value == NULL) {
    pol->mode = cfg->mode;
    snprintf(source, sizeof(source), "runtime config %s", cfg->source);
  } else {
    origin_of(&a, source, sizeof(source));
    if (cfg_mode_parse(a.value, &pol->mode) < 0)
      return berr(err, 0, "%s: %s is not a mode; use \"bottled\" or \"plain\"", source,
                  cfg_quote(a.value, strlen(a.value), shown, sizeof(shown)));
    /* bottled only tightens; plain repeating the configured mode changes nothing. */
    if (pol->mode == BOTTLE_MODE_PLAIN && cfg->mode != BOTTLE_MODE_PLAIN && !a.trust->plain)
      return refuse(cfg, &a, a.value, "{\"plain\": true}", err);
  }
  if ((pol->mode_source = strdup(source)) == NULL)
    return berr(err, 0, "out of memory");
  return 0;
}

/* Inbound: the container's side may close it, never open what the runtime config closed (no
 * trust opens it: who may connect in is the operator's to say). */
static int resolve_inbound(struct bottle_policy *pol, const struct bottle_config *cfg,
                           const struct container_asks *asks, bottle_error_t *err)
{
  char shown[128], origin[64];
  struct ask a =
      pick(cfg, asks->ann_inbound, ANN_INBOUND, asks->env_inbound, "BOTTLE_NETWORK_INBOUND");
  pol->inbound = cfg->inbound;
  if (a.value == NULL)
    return 0;
  bool asked;
  if (cfg_inbound_parse(a.value, &asked) < 0)
    return berr(err, 0, "%s: %s is not a setting; use \"none\" (or \"tcp\", the default)",
                origin_of(&a, origin, sizeof(origin)),
                cfg_quote(a.value, strlen(a.value), shown, sizeof(shown)));
  if (asked && !cfg->inbound)
    return berr(err, 0,
                "%s=\"tcp\" would open what %s closes (network.inbound \"none\"); only "
                "the runtime config can let connections in",
                origin_of(&a, origin, sizeof(origin)), cfg->source);
  pol->inbound = asked;
  return 0;
}

static int list_profiles(const struct bottle_config *cfg, char *buf, size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < cfg->n_profiles && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", cfg->profiles[i].name);
  return 0;
}

static const struct cfg_profile *resolve_profile(struct bottle_policy *pol,
                                                 const struct bottle_config *cfg,
                                                 const struct cfg_container_input *input,
                                                 const struct container_asks *asks,
                                                 bottle_error_t *err)
{
  /* A profile brings hosts and SSH targets: from annotations or env, only those trusted. */
  struct ask a = pick(cfg, asks->ann_profile, ANN_PROFILE, asks->env_profile, "BOTTLE_PROFILE");
  const char *name = a.value;
  char origin[64] = "command line --profile";
  if (input->profile)
    name = input->profile;
  else if (name)
    origin_of(&a, origin, sizeof(origin));
  static const struct cfg_profile none;
  if (name == NULL)
    return &none;
  char shown[128], known[200];
  if (name[0] == '\0') {
    berr(err, 0, "%s is empty; name a profile from bottles in %s, or remove it", origin,
         cfg->source);
    return NULL;
  }
  const struct cfg_profile *prof = cfg_find_profile(cfg, name);
  if (prof == NULL) {
    list_profiles(cfg, known, sizeof(known));
    if (cfg->n_profiles == 0)
      berr(err, 0, "%s: unknown profile %s; %s defines no profiles (add it under \"bottles\")",
           origin, cfg_quote(name, strlen(name), shown, sizeof(shown)), cfg->source);
    else
      berr(err, 0, "%s: unknown profile %s; the profiles in %s are: %s", origin,
           cfg_quote(name, strlen(name), shown, sizeof(shown)), cfg->source, known);
    return NULL;
  }
  if (input->profile == NULL && !a.trust->any_profile &&
      !strlist_contains(&a.trust->profiles, prof->name)) {
    char allow[160];
    snprintf(allow, sizeof(allow), "{\"profiles\": [\"%s\"]}", prof->name);
    refuse(cfg, &a, name, allow, err);
    return NULL;
  }
  if ((pol->profile = strdup(prof->name)) == NULL ||
      (pol->profile_source = strdup(origin)) == NULL) {
    berr(err, 0, "out of memory");
    return NULL;
  }
  return prof;
}

const char *cfg_covering_wildcard(const struct cfg_strlist *list, const char *host)
{
  const char *base = strncmp(host, "*.", 2) == 0 ? host + 2 : host;
  size_t n = strlen(base);
  for (size_t i = 0; i < list->len; i++) {
    const char *w = list->items[i];
    if (strncmp(w, "*.", 2) != 0 || strcmp(w, host) == 0)
      continue;
    size_t d = strlen(w + 2);
    if (strcmp(base, w + 2) == 0 ||
        (n > d && base[n - d - 1] == '.' && strcmp(base + n - d, w + 2) == 0))
      return w;
  }
  return NULL;
}

/* Whether list already lets pipelock reach host: an entry equal to it, or a wildcard over it. */
static bool already_allowed(const struct cfg_strlist *list, const char *host)
{
  return strlist_contains(list, host) || cfg_covering_wildcard(list, host) != NULL;
}

int cfg_policy_note_origin(struct bottle_policy *pol, const char *host, const char *origin)
{
  for (size_t i = 0; i < pol->n_origins; i++)
    if (strcmp(pol->origins[i].host, host) == 0 && strcmp(pol->origins[i].origin, origin) == 0)
      return 0;
  struct cfg_host_origin *more =
      realloc(pol->origins, (pol->n_origins + 1) * sizeof(*pol->origins));
  if (more == NULL)
    return -1;
  pol->origins = more;
  struct cfg_host_origin *o = &pol->origins[pol->n_origins];
  o->host = strdup(host);
  o->origin = strdup(origin);
  if (o->host == NULL || o->origin == NULL) {
    free(o->host);
    free(o->origin);
    return -1;
  }
  pol->n_origins++;
  return 0;
}

static int note_all(struct bottle_policy *pol, const struct cfg_strlist *hosts, const char *origin)
{
  for (size_t i = 0; i < hosts->len; i++)
    if (cfg_policy_note_origin(pol, hosts->items[i], origin) < 0)
      return -1;
  return 0;
}

const char *cfg_policy_origins(const struct bottle_policy *pol, const char *host, char *buf,
                               size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < pol->n_origins && used < size; i++)
    if (strcmp(pol->origins[i].host, host) == 0)
      used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                               pol->origins[i].origin);
  return buf;
}

static int add_container_allowlist(struct bottle_policy *pol, const struct bottle_config *cfg,
                                   const struct cfg_container_input *input,
                                   const struct container_asks *asks, bottle_error_t *err)
{
  struct ask a =
      pick(cfg, asks->ann_allowlist, ANN_ALLOWLIST, asks->env_allowlist, "BOTTLE_EGRESS_ALLOWLIST");
  if (a.value) {
    char origin[64];
    struct cfg_strlist asked = {0};
    int rc = hostlist_add_csv(&asked, a.value, origin_of(&a, origin, sizeof(origin)), err);
    /* Hosts already allowed (default list, profile) widen nothing and need no trust. */
    for (size_t i = 0; rc == 0 && i < asked.len; i++)
      if (!a.trust->extra_hosts && !already_allowed(&pol->allowlist, asked.items[i]))
        rc = refuse(cfg, &a, a.value, "{\"extra_hosts\": true}", err);
    if (rc == 0 && (strlist_add_all(&pol->allowlist, &asked) < 0 ||
                    note_all(pol, &asked, origin_of(&a, origin, sizeof(origin))) < 0))
      rc = berr(err, 0, "out of memory");
    strlist_free(&asked);
    if (rc < 0)
      return -1;
  }
  for (size_t i = 0; input->allow && input->allow[i]; i++) {
    char origin[64];
    snprintf(origin, sizeof(origin), "command line --allow #%zu", i + 1);
    struct cfg_strlist one = {0};
    int rc = hostlist_add(&one, input->allow[i], strlen(input->allow[i]), origin, err);
    if (rc == 0 && (strlist_add_all(&pol->allowlist, &one) < 0 ||
                    note_all(pol, &one, "command line --allow") < 0))
      rc = berr(err, 0, "out of memory");
    strlist_free(&one);
    if (rc < 0)
      return -1;
  }
  return 0;
}

static int add_ssh(struct bottle_policy *pol, const struct cfg_profile *prof, bottle_error_t *err)
{
  if (prof->n_ssh == 0)
    return 0;
  if ((pol->ssh = ssh_targets_copy(prof->ssh, prof->n_ssh)) == NULL)
    return berr(err, 0, "out of memory");
  pol->n_ssh = prof->n_ssh;
  for (size_t i = 0; i < pol->n_ssh; i++) {
    const struct cfg_ssh_target *t = &pol->ssh[i];
    char origin[300];
    snprintf(origin, sizeof(origin), "ssh %s", t->host);
    int rc = strlist_add(&pol->allowlist, t->hostname);
    if (rc == 0)
      rc = cfg_policy_note_origin(pol, t->hostname, origin);
    if (rc == 0 && t->hostname_is_ipv4) {
      char cidr[CFG_CIDR_STRLEN];
      snprintf(cidr, sizeof(cidr), "%s/32", t->hostname);
      rc = strlist_add(&pol->ssrf_ip_allowlist, cidr);
    } else if (rc == 0) {
      rc = strlist_add(&pol->trusted_domains, t->hostname);
    }
    if (rc < 0)
      return berr(err, 0, "out of memory");
  }
  return 0;
}

static int note_profile(struct bottle_policy *pol, const struct cfg_profile *prof)
{
  if (prof->name == NULL)
    return 0;
  char origin[300];
  snprintf(origin, sizeof(origin), "profile %s", prof->name);
  return note_all(pol, &prof->allowlist, origin);
}

int cfg_resolve(const struct bottle_config *cfg, const struct cfg_container_input *input,
                struct bottle_policy **out, bottle_error_t *err)
{
  static const struct cfg_container_input no_input;
  berr_clear(err);
  *out = NULL;
  if (input == NULL)
    input = &no_input;
  struct bottle_policy *pol = calloc(1, sizeof(*pol));
  if (pol == NULL)
    return berr(err, 0, "out of memory");
  pol->max_requests_per_minute = cfg->sidecar_max_requests_per_minute;
  struct container_asks asks = {0};
  const struct cfg_profile *prof = NULL;
  read_env(input->env, &asks);
  if (read_annotations(input->annotations, &asks, err) < 0 ||
      resolve_mode(pol, cfg, &asks, err) < 0 || resolve_inbound(pol, cfg, &asks, err) < 0 ||
      (prof = resolve_profile(pol, cfg, input, &asks, err)) == NULL ||
      strlist_add_all(&pol->allowlist, &cfg->default_allowlist) < 0 ||
      note_all(pol, &cfg->default_allowlist, "default") < 0 ||
      strlist_add_all(&pol->allowlist, &prof->allowlist) < 0 || note_profile(pol, prof) < 0 ||
      add_ssh(pol, prof, err) < 0 || add_container_allowlist(pol, cfg, input, &asks, err) < 0)
    goto fail;
  if (pol->mode == BOTTLE_MODE_BOTTLED && pol->allowlist.len == 0) {
    berr(err, 0,
         "no host is allowed (the default allowlist in %s is empty and nothing was added); "
         "pipelock's strict mode needs at least one: add hosts to egress.default_allowlist, "
         "the profile or the annotation %s",
         cfg->source, ANN_ALLOWLIST);
    goto fail;
  }
  *out = pol;
  return 0;
fail:
  berr(err, 0, "out of memory");
  cfg_policy_free(pol);
  return -1;
}

void cfg_policy_free(struct bottle_policy *pol)
{
  if (pol == NULL)
    return;
  free(pol->mode_source);
  free(pol->profile);
  free(pol->profile_source);
  strlist_free(&pol->allowlist);
  ssh_targets_free(pol->ssh, pol->n_ssh);
  strlist_free(&pol->ssrf_ip_allowlist);
  strlist_free(&pol->trusted_domains);
  for (size_t i = 0; i < pol->n_origins; i++) {
    free(pol->origins[i].host);
    free(pol->origins[i].origin);
  }
  free(pol->origins);
  free(pol);
}

/* bottle.json "bottles": named profiles (an allowlist and SSH targets each) that a container
 * asks for by name (bottle.profile, bottle-run --profile). */
#include "config/profiles.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hostlist.h"
#include "config/hostname.h"
#include "config/json_check.h"
#include "config/ssh_target.h"

static bool valid_word(const char *s, size_t max)
{
  size_t n = strlen(s);
  if (n == 0 || n > max || s[0] == '-' || s[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  }
  return true;
}

static int parse_ssh_target(struct cfg_ssh_target *t, const cJSON *obj, const char *source,
                            const char *path, bottle_error_t *err)
{
  static const char *const keys[] = {"Host", "Hostname", "Port", "User", NULL};
  struct json_where at = {source, path};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  char sub[320], shown[128];
  const cJSON *host = cJSON_GetObjectItemCaseSensitive(obj, "Host");
  const cJSON *hostname = cJSON_GetObjectItemCaseSensitive(obj, "Hostname");
  const cJSON *port = cJSON_GetObjectItemCaseSensitive(obj, "Port");
  const cJSON *user = cJSON_GetObjectItemCaseSensitive(obj, "User");
  if (host == NULL || hostname == NULL || port == NULL)
    return berr(err, 0,
                "%s: %s: needs \"%s\"; an SSH target has Host, Hostname, Port and "
                "optionally User",
                source, path,
                host == NULL       ? "Host"
                : hostname == NULL ? "Hostname"
                                   : "Port");

  struct json_where hat = {source, json_path_key(sub, sizeof(sub), path, "Host")};
  if (json_expect(host, cJSON_String, hat, err) < 0)
    return -1;
  if (!valid_word(host->valuestring, 253))
    return berr(
        err, 0, "%s: %s: %s is not a usable ssh alias; use letters, digits, '.', '-' and '_'",
        source, sub, cfg_quote(host->valuestring, strlen(host->valuestring), shown, sizeof(shown)));
  if ((t->host = strdup(host->valuestring)) == NULL)
    return berr(err, 0, "out of memory");

  struct json_where nat = {source, json_path_key(sub, sizeof(sub), path, "Hostname")};
  if (json_expect(hostname, cJSON_String, nat, err) < 0)
    return -1;
  char normal[CFG_HOST_MAX + 1];
  enum cfg_host_kind kind;
  const char *why;
  const char *v = hostname->valuestring;
  if (host_normalize(v, strlen(v), normal, &kind, &why) < 0)
    return berr(err, 0, "%s: %s: %s %s", source, sub, cfg_quote(v, strlen(v), shown, sizeof(shown)),
                why);
  if (kind == CFG_HOST_WILDCARD)
    return berr(err, 0,
                "%s: %s: %s is a wildcard; an SSH Hostname names one host (put wildcards "
                "in egress.allowlist)",
                source, sub, cfg_quote(v, strlen(v), shown, sizeof(shown)));
  if ((t->hostname = strdup(normal)) == NULL)
    return berr(err, 0, "out of memory");
  t->hostname_is_ipv4 = kind == CFG_HOST_IPV4;

  struct json_where pat = {source, json_path_key(sub, sizeof(sub), path, "Port")};
  if (json_uint(port, 1, 65535, pat, &t->port, err) < 0)
    return -1;

  if (user) {
    struct json_where uat = {source, json_path_key(sub, sizeof(sub), path, "User")};
    if (json_expect(user, cJSON_String, uat, err) < 0)
      return -1;
    if (!valid_word(user->valuestring, 64))
      return berr(err, 0,
                  "%s: %s: %s is not a usable user name; use letters, digits, '.', '-' and "
                  "'_' (not starting with '-' or '.')",
                  source, sub,
                  cfg_quote(user->valuestring, strlen(user->valuestring), shown, sizeof(shown)));
    if ((t->user = strdup(user->valuestring)) == NULL)
      return berr(err, 0, "out of memory");
  }
  return 0;
}

static int parse_profile(struct cfg_profile *prof, const cJSON *obj, const char *source,
                         bottle_error_t *err)
{
  static const char *const keys[] = {"egress", "ssh", NULL};
  static const char *const egress_keys[] = {"allowlist", NULL};
  char path[320], sub[340];
  json_path_key(path, sizeof(path), "bottles", prof->name);
  struct json_where at = {source, path};
  if (json_expect(obj, cJSON_Object, at, err) < 0 || json_check_keys(obj, keys, at, err) < 0)
    return -1;
  const cJSON *egress = cJSON_GetObjectItemCaseSensitive(obj, "egress");
  if (egress) {
    struct json_where eat = {source, json_path_key(sub, sizeof(sub), path, "egress")};
    if (json_expect(egress, cJSON_Object, eat, err) < 0 ||
        json_check_keys(egress, egress_keys, eat, err) < 0)
      return -1;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(egress, "allowlist");
    char lpath[360];
    struct json_where lat = {source, json_path_key(lpath, sizeof(lpath), sub, "allowlist")};
    if (list && hostlist_add_json(&prof->allowlist, list, lat, err) < 0)
      return -1;
  }
  const cJSON *ssh = cJSON_GetObjectItemCaseSensitive(obj, "ssh");
  if (ssh) {
    struct json_where sat = {source, json_path_key(sub, sizeof(sub), path, "ssh")};
    if (json_expect(ssh, cJSON_Array, sat, err) < 0)
      return -1;
    size_t n = (size_t)cJSON_GetArraySize(ssh);
    if (n && (prof->ssh = calloc(n, sizeof(*prof->ssh))) == NULL)
      return berr(err, 0, "out of memory");
    for (const cJSON *item = ssh->child; item; item = item->next) {
      char ipath[360];
      json_path_index(ipath, sizeof(ipath), sub, prof->n_ssh);
      struct cfg_ssh_target *t = &prof->ssh[prof->n_ssh++];
      if (parse_ssh_target(t, item, source, ipath, err) < 0)
        return -1;
      for (size_t j = 0; j + 1 < prof->n_ssh; j++)
        if (strcmp(prof->ssh[j].host, t->host) == 0)
          return berr(err, 0,
                      "%s: %s.Host: \"%s\" is already used by %s[%zu]; give each SSH target "
                      "its own Host",
                      source, ipath, t->host, sub, j);
    }
  }
  return 0;
}

int cfg_parse_bottles(struct bottle_config *cfg, const cJSON *obj, const char *source,
                      bottle_error_t *err)
{
  struct json_where at = {source, "bottles"};
  if (json_expect(obj, cJSON_Object, at, err) < 0)
    return -1;
  size_t n = (size_t)cJSON_GetArraySize(obj);
  if (n && (cfg->profiles = calloc(n, sizeof(*cfg->profiles))) == NULL)
    return berr(err, 0, "out of memory");
  char shown[128];
  for (const cJSON *item = obj->child; item; item = item->next) {
    const char *name = item->string ? item->string : "";
    if (!valid_word(name, 64))
      return berr(err, 0,
                  "%s: bottles: profile name %s is not usable; use 1-64 letters, digits, "
                  "'.', '-' and '_' (not starting with '-' or '.')",
                  source, cfg_quote(name, strlen(name), shown, sizeof(shown)));
    if (cfg_find_profile(cfg, name))
      return berr(err, 0, "%s: bottles: profile \"%s\" is defined twice; keep one", source, name);
    struct cfg_profile *prof = &cfg->profiles[cfg->n_profiles++];
    if ((prof->name = strdup(name)) == NULL)
      return berr(err, 0, "out of memory");
    if (parse_profile(prof, item, source, err) < 0)
      return -1;
  }
  return 0;
}

const struct cfg_profile *cfg_find_profile(const struct bottle_config *cfg, const char *name)
{
  for (size_t i = 0; i < cfg->n_profiles; i++)
    if (strcmp(cfg->profiles[i].name, name) == 0)
      return &cfg->profiles[i];
  return NULL;
}

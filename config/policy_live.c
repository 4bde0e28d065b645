/* A running bottle's policy: kept as JSON in the bottle's state and changed by `bottle policy`
 * (runtime/bottle/live_policy.c). What comes back from JSON is validated as any input, so that
 * the YAML made from it holds only what cfg_resolve could have produced. */
#include "config/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hostlist.h"
#include "config/hostname.h"
#include "config/ssh_target.h"

static cJSON *strings(const struct cfg_strlist *list)
{
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a != NULL && i < list->len; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(list->items[i]));
  return a;
}

cJSON *cfg_policy_to_json(const struct bottle_policy *pol)
{
  cJSON *j = cJSON_CreateObject();
  cJSON *hosts = cJSON_AddArrayToObject(j, "allowlist");
  for (size_t i = 0; i < pol->allowlist.len; i++) {
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "host", pol->allowlist.items[i]);
    cJSON *origins = cJSON_AddArrayToObject(h, "origins");
    for (size_t k = 0; k < pol->n_origins; k++)
      if (strcmp(pol->origins[k].host, pol->allowlist.items[i]) == 0)
        cJSON_AddItemToArray(origins, cJSON_CreateString(pol->origins[k].origin));
    cJSON_AddItemToArray(hosts, h);
  }
  cJSON *ssh = cJSON_AddArrayToObject(j, "ssh");
  for (size_t i = 0; i < pol->n_ssh; i++) {
    const struct cfg_ssh_target *t = &pol->ssh[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "host", t->host);
    cJSON_AddStringToObject(o, "hostname", t->hostname);
    cJSON_AddBoolToObject(o, "hostname_is_ipv4", t->hostname_is_ipv4);
    cJSON_AddNumberToObject(o, "port", t->port);
    if (t->user != NULL)
      cJSON_AddStringToObject(o, "user", t->user);
    cJSON_AddItemToArray(ssh, o);
  }
  cJSON_AddItemToObject(j, "ssrf_ip_allowlist", strings(&pol->ssrf_ip_allowlist));
  cJSON_AddItemToObject(j, "trusted_domains", strings(&pol->trusted_domains));
  cJSON_AddNumberToObject(j, "max_requests_per_minute", pol->max_requests_per_minute);
  cJSON_AddBoolToObject(j, "inbound", pol->inbound);
  if (pol->profile != NULL)
    cJSON_AddStringToObject(j, "profile", pol->profile);
  return j;
}

static const char *str_at(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An entry as the policy holds it: valid and already normalised. */
static bool normal_host(const char *h)
{
  char normal[CFG_HOST_MAX + 1];
  enum cfg_host_kind kind;
  const char *why;
  return h != NULL && host_normalize(h, strlen(h), normal, &kind, &why) == 0 &&
         strcmp(normal, h) == 0;
}

static int read_strings(const cJSON *j, const char *key, struct cfg_strlist *list,
                        bottle_error_t *err)
{
  const cJSON *item;
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(j, key))
  {
    if (!cJSON_IsString(item) || strlist_add(list, item->valuestring) < 0)
      return berr(err, 0, "bottle policy state: %s holds a non-string", key);
  }
  return 0;
}

static int read_ssh(const cJSON *j, struct bottle_policy *pol, bottle_error_t *err)
{
  const cJSON *ssh = cJSON_GetObjectItemCaseSensitive(j, "ssh");
  int n = cJSON_GetArraySize(ssh);
  if (n == 0)
    return 0;
  if ((pol->ssh = calloc((size_t)n, sizeof(*pol->ssh))) == NULL)
    return berr(err, 0, "out of memory");
  const cJSON *item;
  cJSON_ArrayForEach(item, ssh)
  {
    struct cfg_ssh_target *t = &pol->ssh[pol->n_ssh++];
    const char *host = str_at(item, "host"), *hostname = str_at(item, "hostname");
    const char *user = str_at(item, "user");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(item, "port");
    if (host == NULL || !normal_host(hostname) || !cJSON_IsNumber(port) || port->valueint < 1 ||
        port->valueint > 65535)
      return berr(err, 0, "bottle policy state: an ssh target is malformed");
    t->host = strdup(host);
    t->hostname = strdup(hostname);
    t->user = user ? strdup(user) : NULL;
    t->port = (unsigned)port->valueint;
    t->hostname_is_ipv4 = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "hostname_is_ipv4"));
    if (t->host == NULL || t->hostname == NULL || (user && t->user == NULL))
      return berr(err, 0, "out of memory");
  }
  return 0;
}

int cfg_policy_from_json(const cJSON *j, struct bottle_policy **out, bottle_error_t *err)
{
  berr_clear(err);
  *out = NULL;
  if (!cJSON_IsObject(j))
    return berr(err, 0, "bottle policy state: not an object");
  struct bottle_policy *pol = calloc(1, sizeof(*pol));
  if (pol == NULL)
    return berr(err, 0, "out of memory");
  pol->mode = BOTTLE_MODE_BOTTLED;
  const cJSON *h;
  cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(j, "allowlist"))
  {
    const char *host = str_at(h, "host");
    char shown[128];
    if (!normal_host(host)) {
      berr(err, 0, "bottle policy state: allowlist entry %s is not a normalised host",
           host ? cfg_quote(host, strlen(host), shown, sizeof(shown)) : "(none)");
      goto fail;
    }
    if (strlist_add(&pol->allowlist, host) < 0)
      goto oom;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(h, "origins"))
    {
      if (cJSON_IsString(o) && cfg_policy_note_origin(pol, host, o->valuestring) < 0)
        goto oom;
    }
  }
  const cJSON *rate = cJSON_GetObjectItemCaseSensitive(j, "max_requests_per_minute");
  const char *profile = str_at(j, "profile");
  if (read_ssh(j, pol, err) < 0 ||
      read_strings(j, "ssrf_ip_allowlist", &pol->ssrf_ip_allowlist, err) < 0 ||
      read_strings(j, "trusted_domains", &pol->trusted_domains, err) < 0)
    goto fail;
  if (cJSON_IsNumber(rate) && rate->valuedouble >= 0 &&
      rate->valuedouble <= CFG_MAX_REQUESTS_PER_MINUTE)
    pol->max_requests_per_minute = (unsigned)rate->valuedouble;
  pol->inbound = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "inbound"));
  if (profile != NULL && (pol->profile = strdup(profile)) == NULL)
    goto oom;
  if (pol->allowlist.len == 0) {
    berr(err, 0, "bottle policy state: the allowlist is empty");
    goto fail;
  }
  *out = pol;
  return 0;
oom:
  berr(err, 0, "out of memory");
fail:
  cfg_policy_free(pol);
  return -1;
}

int cfg_policy_allow(struct bottle_policy *pol, const char *host, const char *origin,
                     char normal[CFG_HOST_MAX + 1], bottle_error_t *err)
{
  struct cfg_strlist one = {0};
  int rc = hostlist_add(&one, host, strlen(host), "--allow", err);
  if (rc == 0) {
    snprintf(normal, CFG_HOST_MAX + 1, "%s", one.items[0]);
    if (strlist_add(&pol->allowlist, normal) < 0 || cfg_policy_note_origin(pol, normal, origin) < 0)
      rc = berr(err, 0, "out of memory");
  }
  strlist_free(&one);
  return rc;
}

int cfg_policy_deny(struct bottle_policy *pol, const char *host, char normal[CFG_HOST_MAX + 1],
                    bottle_error_t *err)
{
  struct cfg_strlist one = {0};
  if (hostlist_add(&one, host, strlen(host), "--deny", err) < 0) {
    strlist_free(&one);
    return -1;
  }
  snprintf(normal, CFG_HOST_MAX + 1, "%s", one.items[0]);
  strlist_free(&one);
  size_t at = pol->allowlist.len;
  for (size_t i = 0; i < pol->allowlist.len; i++)
    if (strcmp(pol->allowlist.items[i], normal) == 0)
      at = i;
  if (at == pol->allowlist.len) {
    const char *w = cfg_covering_wildcard(&pol->allowlist, normal);
    if (w != NULL)
      return berr(err, 0,
                  "--deny \"%s\": the entry \"%s\" allows it; deny \"%s\" (and allow the "
                  "names to keep)",
                  normal, w, w);
    return berr(err, 0,
                "--deny \"%s\": not in the allowlist, so there is nothing to remove "
                "(bottle policy ID lists it)",
                normal);
  }
  if (pol->allowlist.len == 1)
    return berr(err, 0,
                "--deny \"%s\": it is the last allowed host, and pipelock's strict mode needs "
                "one; allow another host first, or stop the container",
                normal);
  free(pol->allowlist.items[at]);
  memmove(&pol->allowlist.items[at], &pol->allowlist.items[at + 1],
          (pol->allowlist.len - at - 1) * sizeof(char *));
  pol->allowlist.len--;
  size_t kept = 0;
  for (size_t i = 0; i < pol->n_origins; i++) {
    if (strcmp(pol->origins[i].host, normal) == 0) {
      free(pol->origins[i].host);
      free(pol->origins[i].origin);
    } else {
      pol->origins[kept++] = pol->origins[i];
    }
  }
  pol->n_origins = kept;
  return 0;
}

#include "tests/pipelock-double/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "tests/pipelock-double/audit.h"
#include "tests/pipelock-double/cleanup.h"
#include "tests/pipelock-double/hostmatch.h"

enum value_kind { V_MAP, V_STR, V_INT, V_BOOL, V_FLOAT, V_STR_SEQ, V_MAP_SEQ };
enum value_home { HOME_NONE, HOME_POLICY, HOME_PATTERN };

struct schema_key {
  const char *path; /* dotted; "[]" marks the items of a sequence of mappings */
  enum value_kind kind;
  enum value_home home;
  size_t offset;
};

#define P(field) HOME_POLICY, offsetof(struct policy, field)
#define D(field) HOME_PATTERN, offsetof(struct dlp_pattern, field)
#define NOWHERE HOME_NONE, 0

/* Every key the double accepts: exactly the keys of pipelock.md §1.2 (types from
 * schema.go). Anything else is an unknown field, as KnownFields(true) makes it for
 * pipelock (§1.1). */
static const struct schema_key schema[] = {
    {"version", V_INT, P(version)},
    {"mode", V_STR, P(mode)},
    {"enforce", V_BOOL, P(enforce)},
    {"explain_blocks", V_BOOL, P(explain_blocks)},
    {"api_allowlist", V_STR_SEQ, P(api_allowlist)},
    {"forward_proxy", V_MAP, NOWHERE},
    {"forward_proxy.enabled", V_BOOL, P(forward_enabled)},
    {"forward_proxy.max_tunnel_seconds", V_INT, P(max_tunnel_seconds)},
    {"forward_proxy.idle_timeout_seconds", V_INT, P(idle_timeout_seconds)},
    {"forward_proxy.sni_verification", V_BOOL, P(sni_verification)},
    {"forward_proxy.redirect_websocket_hosts", V_STR_SEQ, P(redirect_websocket_hosts)},
    {"dlp", V_MAP, NOWHERE},
    {"dlp.scan_env", V_BOOL, P(scan_env)},
    {"dlp.include_defaults", V_BOOL, P(include_defaults)},
    {"dlp.patterns", V_MAP_SEQ, NOWHERE},
    {"dlp.patterns[].name", V_STR, D(name)},
    {"dlp.patterns[].regex", V_STR, D(regex)},
    {"dlp.patterns[].severity", V_STR, D(severity)},
    {"dlp.patterns[].validator", V_STR, D(validator)},
    {"dlp.patterns[].exempt_domains", V_STR_SEQ, D(exempt_domains)},
    {"dlp.patterns[].action", V_STR, D(action)},
    {"dlp.secrets_file", V_STR, P(secrets_file)},
    {"dlp.min_env_secret_length", V_INT, P(min_env_secret_length)},
    {"dlp.action", V_STR, P(dlp_action)},
    {"ssrf", V_MAP, NOWHERE},
    {"ssrf.ip_allowlist", V_STR_SEQ, P(ip_allowlist_text)},
    {"trusted_domains", V_STR_SEQ, P(trusted_domains)},
    {"internal", V_STR_SEQ, P(internal_text)},
    {"fetch_proxy", V_MAP, NOWHERE},
    {"fetch_proxy.listen", V_STR, P(fetch_listen)},
    {"fetch_proxy.monitoring", V_MAP, NOWHERE},
    {"fetch_proxy.monitoring.max_requests_per_minute", V_INT, P(max_requests_per_minute)},
    {"fetch_proxy.monitoring.subdomain_entropy_threshold", V_FLOAT, P(entropy_threshold)},
    {"fetch_proxy.monitoring.subdomain_entropy_exclusions", V_STR_SEQ, P(entropy_exclusions)},
    {"metrics_listen", V_STR, P(metrics_listen)},
    {"sentry", V_MAP, NOWHERE},
    {"sentry.enabled", V_BOOL, P(sentry_enabled)},
    {"sentry.dsn", V_STR, P(sentry_dsn)},
};

struct loader {
  yaml_document_t *doc;
  struct policy *policy;
  char *err;
  size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct loader *l, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(l->err, l->errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static const struct schema_key *schema_lookup(const char *path)
{
  for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
    if (strcmp(schema[i].path, path) == 0)
      return &schema[i];
  return NULL;
}

static unsigned long line_of(const yaml_node_t *n)
{
  return (unsigned long)n->start_mark.line + 1;
}

static const char *scalar_text(const yaml_node_t *n)
{
  return (const char *)n->data.scalar.value;
}

/* Config text echoed in an error ends up in the sidecar log bottle shows. */
static const char *shown(const yaml_node_t *n, char *buf, size_t len)
{
  sanitize_text(scalar_text(n), buf, len, 60);
  return buf;
}

static bool is_plain(const yaml_node_t *n)
{
  return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
         n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
  if (n->type != YAML_SCALAR_NODE || !is_plain(n))
    return false;
  const char *v = scalar_text(n);
  return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static bool one_of(const char *v, const char *const *words)
{
  for (; *words; words++)
    if (strcmp(v, *words) == 0)
      return true;
  return false;
}

/* yaml.v3 into a Go bool: plain true/false, plus the YAML 1.1 words in any style;
 * a quoted "true" is a string and fails. */
static int parse_bool(const yaml_node_t *n, int *out)
{
  static const char *const core_true[] = {"true", "True", "TRUE", NULL};
  static const char *const core_false[] = {"false", "False", "FALSE", NULL};
  static const char *const old_true[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", NULL};
  static const char *const old_false[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF", NULL};
  const char *v = scalar_text(n);
  if (is_plain(n) && one_of(v, core_true))
    *out = 1;
  else if (is_plain(n) && one_of(v, core_false))
    *out = 0;
  else if (one_of(v, old_true))
    *out = 1;
  else if (one_of(v, old_false))
    *out = 0;
  else
    return -1;
  return 0;
}

/* yaml.v3 resolves plain integers with strconv.ParseInt(base 0) after dropping '_'. */
static int parse_int(const yaml_node_t *n, long *out)
{
  if (!is_plain(n))
    return -1;
  char buf[64];
  size_t j = 0;
  for (const char *p = scalar_text(n); *p; p++) {
    if (*p == '_')
      continue;
    if (j + 1 >= sizeof(buf))
      return -1;
    buf[j++] = *p;
  }
  buf[j] = '\0';
  const char *digits = buf + (buf[0] == '-' || buf[0] == '+');
  if (!isdigit((unsigned char)digits[0]))
    return -1;
  int base = 10;
  if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
    base = 8;
    digits += 2;
  } else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits += 2;
  } else if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits += 2;
  } else if (digits[0] == '0' && digits[1]) {
    base = 8;
  }
  if (!*digits)
    return -1;
  errno = 0;
  char *end;
  long v = strtol(digits, &end, base);
  if (*end || errno)
    return -1;
  *out = buf[0] == '-' ? -v : v;
  return 0;
}

static int parse_float(const yaml_node_t *n, double *out)
{
  if (!is_plain(n))
    return -1;
  const char *v = scalar_text(n);
  if (!*v || isspace((unsigned char)*v))
    return -1;
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (*end || errno)
    return -1;
  *out = d;
  return 0;
}

static const char *node_kind_name(const yaml_node_t *n)
{
  switch (n->type) {
  case YAML_MAPPING_NODE:
    return "!!map";
  case YAML_SEQUENCE_NODE:
    return "!!seq";
  default:
    return is_plain(n) ? "!!scalar" : "!!str";
  }
}

static int type_error(struct loader *l, const yaml_node_t *n, const char *path, const char *want,
                      const char *hint)
{
  if (n->type == YAML_SCALAR_NODE)
    return fail(l, "yaml: unmarshal errors: line %lu: cannot unmarshal %s `%.40s` into %s (%s: %s)",
                line_of(n), node_kind_name(n), shown(n, (char[80]){0}, 80), want, path, hint);
  return fail(l, "yaml: unmarshal errors: line %lu: cannot unmarshal %s into %s (%s: %s)",
              line_of(n), node_kind_name(n), want, path, hint);
}

static int strlist_push(struct strlist *list, const char *s)
{
  char **items = realloc(list->items, (list->n + 1) * sizeof(*items));
  if (!items)
    return -1;
  list->items = items;
  list->items[list->n] = strdup(s);
  if (!list->items[list->n])
    return -1;
  list->n++;
  return 0;
}

static int load_value(struct loader *l, const struct schema_key *key, yaml_node_t *n, void *home);

static int load_mapping(struct loader *l, const char *prefix, yaml_node_t *map, void *home)
{
  for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
       pair++) {
    yaml_node_t *k = yaml_document_get_node(l->doc, pair->key);
    yaml_node_t *v = yaml_document_get_node(l->doc, pair->value);
    if (!k || !v)
      return fail(l, "yaml: malformed document");
    if (k->type != YAML_SCALAR_NODE)
      return fail(l, "yaml: line %lu: mapping keys must be plain names", line_of(k));
    for (yaml_node_pair_t *prev = map->data.mapping.pairs.start; prev < pair; prev++) {
      yaml_node_t *pk = yaml_document_get_node(l->doc, prev->key);
      if (pk && pk->type == YAML_SCALAR_NODE && strcmp(scalar_text(pk), scalar_text(k)) == 0)
        return fail(
            l,
            "yaml: unmarshal errors: line %lu: mapping key \"%.60s\" already defined at line %lu",
            line_of(k), shown(k, (char[80]){0}, 80), line_of(pk));
    }
    char path[256];
    int len = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", scalar_text(k));
    const struct schema_key *key = len < (int)sizeof(path) ? schema_lookup(path) : NULL;
    if (!key)
      return fail(l,
                  "yaml: unmarshal errors: line %lu: field %.60s not found in %s (remove it: "
                  "pipelock rejects unknown keys)",
                  line_of(k), shown(k, (char[80]){0}, 80), *prefix ? prefix : "the top level");
    if (load_value(l, key, v, home) < 0)
      return -1;
  }
  return 0;
}

static int load_pattern(struct loader *l, const struct schema_key *key, yaml_node_t *item)
{
  struct policy *p = l->policy;
  if (is_null(item))
    return 0;
  if (item->type != YAML_MAPPING_NODE)
    return type_error(l, item, key->path, "config.DLPPattern",
                      "write a mapping with name and regex");
  struct dlp_pattern *arr = realloc(p->patterns, (p->n_patterns + 1) * sizeof(*arr));
  if (!arr)
    return fail(l, "out of memory");
  p->patterns = arr;
  memset(&arr[p->n_patterns], 0, sizeof(arr[0]));
  struct dlp_pattern *pat = &arr[p->n_patterns++];
  char prefix[128];
  snprintf(prefix, sizeof(prefix), "%s[]", key->path);
  return load_mapping(l, prefix, item, pat);
}

static int load_value(struct loader *l, const struct schema_key *key, yaml_node_t *n, void *home)
{
  char *field = key->home == HOME_POLICY    ? (char *)l->policy + key->offset
                : key->home == HOME_PATTERN ? (char *)home + key->offset
                                            : NULL;
  if (is_null(n)) {
    /* yaml.v3 leaves the Go zero value (nil pointer, nil slice) for null. */
    return 0;
  }
  switch (key->kind) {
  case V_MAP:
    if (n->type != YAML_MAPPING_NODE)
      return type_error(l, n, key->path, "a mapping", "write nested keys under it");
    return load_mapping(l, key->path, n, home);
  case V_MAP_SEQ:
    if (n->type != YAML_SEQUENCE_NODE)
      return type_error(l, n, key->path, "[]config.DLPPattern", "write a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
      if (load_pattern(l, key, yaml_document_get_node(l->doc, *it)) < 0)
        return -1;
    return 0;
  case V_STR_SEQ: {
    if (n->type != YAML_SEQUENCE_NODE)
      return type_error(l, n, key->path, "[]string", "write a list of strings");
    struct strlist *list = (struct strlist *)field;
    if (list && key->offset == offsetof(struct policy, internal_text) && key->home == HOME_POLICY)
      l->policy->internal_present = true;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
      yaml_node_t *item = yaml_document_get_node(l->doc, *it);
      if (!item || item->type != YAML_SCALAR_NODE)
        return type_error(l, item ? item : n, key->path, "string", "list items must be strings");
      if (list && strlist_push(list, is_null(item) ? "" : scalar_text(item)) < 0)
        return fail(l, "out of memory");
    }
    return 0;
  }
  default:
    break;
  }
  if (n->type != YAML_SCALAR_NODE)
    return type_error(l, n, key->path, "a scalar", "write a single value");
  switch (key->kind) {
  case V_STR:
    if (field) {
      char **s = (char **)field;
      free(*s);
      *s = strdup(scalar_text(n));
      if (!*s)
        return fail(l, "out of memory");
    }
    return 0;
  case V_BOOL: {
    int b;
    if (parse_bool(n, &b) < 0)
      return type_error(l, n, key->path, "bool", "write true or false, unquoted");
    if (field)
      *(int *)field = b;
    return 0;
  }
  case V_INT: {
    long v;
    if (parse_int(n, &v) < 0)
      return type_error(l, n, key->path, "int", "write a plain integer, unquoted");
    if (field)
      *(long *)field = v;
    return 0;
  }
  case V_FLOAT: {
    double d;
    if (parse_float(n, &d) < 0)
      return type_error(l, n, key->path, "float64", "write a plain number, unquoted");
    if (field)
      *(double *)field = d;
    return 0;
  }
  default:
    return fail(l, "internal error: bad schema kind");
  }
}

static int read_document(const char *path, struct policy *p, char *err, size_t errlen)
{
  autofclose FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "reading config file: open %s: %s", path, strerror(errno));
    return -1;
  }
  yaml_parser_t parser;
  yaml_document_t doc, extra;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  yaml_parser_set_input_file(&parser, f);
  int rc = -1;
  if (!yaml_parser_load(&parser, &doc)) {
    snprintf(err, errlen, "parsing config %s: yaml: line %lu: %s", path,
             (unsigned long)parser.problem_mark.line + 1,
             parser.problem ? parser.problem : "error");
    yaml_parser_delete(&parser);
    return -1;
  }
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  /* pipelock.md §1.1 item 3: a second document is fatal. */
  if (root) {
    if (!yaml_parser_load(&parser, &extra)) {
      snprintf(err, errlen, "parsing config %s: yaml: line %lu: %s", path,
               (unsigned long)parser.problem_mark.line + 1,
               parser.problem ? parser.problem : "error");
      goto out;
    }
    bool second = yaml_document_get_root_node(&extra) != NULL;
    yaml_document_delete(&extra);
    if (second) {
      snprintf(err, errlen,
               "parsing config %s: multiple YAML documents not supported (keep one document, drop "
               "the extra ---)",
               path);
      goto out;
    }
  }
  struct loader l = {.doc = &doc, .policy = p, .err = err, .errlen = errlen};
  char inner[512] = "";
  l.err = inner;
  l.errlen = sizeof(inner);
  if (!root || is_null(root)) {
    rc = 0;
  } else if (root->type != YAML_MAPPING_NODE) {
    snprintf(err, errlen,
             "parsing config %s: yaml: unmarshal errors: line %lu: cannot unmarshal %s into "
             "config.Config",
             path, line_of(root), node_kind_name(root));
  } else if (load_mapping(&l, "", root, NULL) < 0) {
    snprintf(err, errlen, "parsing config %s: %s", path, inner);
  } else {
    rc = 0;
  }
out:
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return rc;
}

static void apply_defaults(struct policy *p)
{
  if (p->version == 0)
    p->version = 1;
  if (!p->mode || !*p->mode) {
    free(p->mode);
    p->mode = strdup("balanced");
  }
  if (p->max_tunnel_seconds <= 0)
    p->max_tunnel_seconds = 300;
  if (p->idle_timeout_seconds <= 0)
    p->idle_timeout_seconds = 120;
  if (p->max_requests_per_minute <= 0)
    p->max_requests_per_minute = 60;
  if (p->entropy_threshold <= 0)
    p->entropy_threshold = 4.0;
  if (p->min_env_secret_length <= 0)
    p->min_env_secret_length = 16;
  if (p->scan_env < 0)
    p->scan_env = 1;
  if (!p->fetch_listen)
    p->fetch_listen = strdup("127.0.0.1:8888");
}

__attribute__((format(printf, 3, 4))) static int invalid(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
  int n = snprintf(err, errlen, "invalid config: ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* validate.go:29-55: entries are normalised in place and must be plain host names
 * with at most a leading "*." on a multi-label suffix. */
static int check_domain_list(struct strlist *list, const char *field, char *err, size_t errlen)
{
  for (size_t i = 0; i < list->n; i++) {
    char reason[128];
    const char *raw = list->items[i];
    char *norm = normalize_trusted_domain(raw, reason, sizeof(reason));
    if (!norm)
      return invalid(err, errlen, "%s entry \"%.80s\": %s", field, raw, reason);
    free(list->items[i]);
    list->items[i] = norm;
  }
  return 0;
}

static int check_secrets_file(const char *path, char *err, size_t errlen)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return invalid(err, errlen, "dlp.secrets_file %s: %s", path, strerror(errno));
  if (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO))
    return invalid(err, errlen,
                   "dlp.secrets_file %s has unsafe permissions %04o (chmod 0600 or 0640)", path,
                   (unsigned)(st.st_mode & 07777));
  return 0;
}

static int push_cidr(struct cidrlist *list, const struct cidr *c)
{
  struct cidr *items = realloc(list->items, (list->n + 1) * sizeof(*items));
  if (!items)
    return -1;
  list->items = items;
  list->items[list->n++] = *c;
  return 0;
}

/* validateMetricsListen: net.SplitHostPort on both, then the ports compared as strings. */
static int validate_metrics_listen(const struct policy *p, char *err, size_t errlen)
{
  const char *m = p->metrics_listen;
  if (m == NULL || m[0] == '\0')
    return 0;
  const char *mport = strrchr(m, ':'), *pport = strrchr(p->fetch_listen, ':');
  if (mport == NULL)
    return invalid(err, errlen,
                   "invalid metrics_listen \"%.80s\": address %.80s: missing port in "
                   "address",
                   m, m);
  if (pport == NULL)
    return invalid(err, errlen,
                   "invalid fetch_proxy.listen \"%.80s\": address %.80s: missing port "
                   "in address",
                   p->fetch_listen, p->fetch_listen);
  if (strcmp(mport + 1, pport + 1) == 0)
    return invalid(err, errlen,
                   "metrics_listen port %.10s collides with fetch_proxy.listen port %.10s",
                   mport + 1, pport + 1);
  return 0;
}

static int validate(struct policy *p, char *err, size_t errlen)
{
  static const char *const modes[] = {"strict", "balanced", "audit", NULL};
  if (!one_of(p->mode, modes))
    return invalid(err, errlen, "invalid mode \"%.40s\": must be strict, balanced, or audit",
                   p->mode);
  if (!strcmp(p->mode, "strict") && p->api_allowlist.n == 0)
    return invalid(err, errlen, "strict mode requires at least one domain in api_allowlist");
  if (p->dlp_action && *p->dlp_action)
    return invalid(err, errlen, "dlp.action is reserved and must be empty (remove dlp.action)");
  static const char *const validators[] = {"luhn", "mod97", "aba", "wif", NULL};
  for (size_t i = 0; i < p->n_patterns; i++) {
    struct dlp_pattern *d = &p->patterns[i];
    if (!d->name || !*d->name)
      return invalid(err, errlen, "dlp.patterns[%zu]: name is required", i);
    if (!d->regex || !*d->regex)
      return invalid(err, errlen, "dlp pattern %.60s: regex is required", d->name);
    if (d->validator && *d->validator && !one_of(d->validator, validators))
      return invalid(err, errlen,
                     "dlp pattern %.60s: unknown validator \"%.40s\" (luhn, mod97, aba or wif)",
                     d->name, d->validator);
    if (d->action && *d->action && strcmp(d->action, "warn") != 0)
      return invalid(err, errlen, "dlp pattern %.60s: action must be \"warn\" or empty", d->name);
    if (check_domain_list(&d->exempt_domains, "dlp.patterns.exempt_domains", err, errlen) < 0)
      return -1;
  }
  if (p->secrets_file && *p->secrets_file && check_secrets_file(p->secrets_file, err, errlen) < 0)
    return -1;
  if (check_domain_list(&p->entropy_exclusions,
                        "fetch_proxy.monitoring.subdomain_entropy_exclusions", err, errlen) < 0)
    return -1;
  for (size_t i = 0; i < p->internal_text.n; i++) {
    struct cidr c;
    if (cidr_parse_loose(p->internal_text.items[i], &c) < 0)
      return invalid(err, errlen, "invalid CIDR in internal: \"%.60s\"", p->internal_text.items[i]);
    if (push_cidr(&p->internal, &c) < 0)
      return invalid(err, errlen, "out of memory");
  }
  for (size_t i = 0; i < p->ip_allowlist_text.n; i++) {
    struct cidr c;
    char reason[200];
    if (cidr_parse_strict(p->ip_allowlist_text.items[i], &c, reason, sizeof(reason)) < 0)
      return invalid(err, errlen, "ssrf.ip_allowlist: %s", reason);
    if (push_cidr(&p->ip_allowlist, &c) < 0)
      return invalid(err, errlen, "out of memory");
  }
  if (validate_metrics_listen(p, err, errlen) < 0)
    return -1;
  return check_domain_list(&p->trusted_domains, "trusted_domains", err, errlen);
}

int policy_load(const char *path, struct policy *p, char *err, size_t errlen)
{
  memset(p, 0, sizeof(*p));
  p->enforce = p->explain_blocks = p->forward_enabled = p->sni_verification = -1;
  p->scan_env = p->include_defaults = p->sentry_enabled = -1;
  if (read_document(path, p, err, errlen) < 0)
    return -1;
  apply_defaults(p);
  return validate(p, err, errlen);
}

size_t policy_dlp_pattern_count(const struct policy *p)
{
  /* A user pattern named like a built-in replaces it; the double does not carry
   * the built-in names, so it counts every user pattern as an addition. */
  return (p->include_defaults == 0 ? 0 : 48) + p->n_patterns;
}

/* The subset of pipelock 2.3.0's configuration the double understands
 * (pipelock.md §1.2), loaded as strictly as pipelock loads it (§1.1, §2). */
#ifndef PIPELOCK_DOUBLE_POLICY_H
#define PIPELOCK_DOUBLE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "tests/pipelock-double/netaddr.h"

struct strlist {
  char **items;
  size_t n;
};

struct cidrlist {
  struct cidr *items;
  size_t n;
};

struct dlp_pattern {
  char *name, *regex, *severity, *validator, *action;
  struct strlist exempt_domains;
};

/* Tri-state booleans: -1 = absent or null (pipelock's nil *bool). */
struct policy {
  long version;
  char *mode;
  int enforce, explain_blocks;
  struct strlist api_allowlist;
  int forward_enabled;
  long max_tunnel_seconds, idle_timeout_seconds;
  int sni_verification;
  struct strlist redirect_websocket_hosts;
  int scan_env, include_defaults;
  struct dlp_pattern *patterns;
  size_t n_patterns;
  char *secrets_file;
  long min_env_secret_length;
  char *dlp_action;
  struct strlist ip_allowlist_text, internal_text;
  struct cidrlist ip_allowlist;
  struct strlist trusted_domains;
  struct cidrlist internal;
  bool internal_present; /* `internal:` written with a non-null value */
  char *fetch_listen;
  long max_requests_per_minute;
  double entropy_threshold;
  struct strlist entropy_exclusions;
  char *metrics_listen;
  int sentry_enabled;
  char *sentry_dsn;
};

/* Parses, applies pipelock's defaults and validates. On failure returns -1 with
 * err holding pipelock's wording ("parsing config PATH: ..." or "invalid config: ..."). */
int policy_load(const char *path, struct policy *out, char *err, size_t errlen);

/* Number of configurable DLP patterns /health reports (§5.2). */
size_t policy_dlp_pattern_count(const struct policy *p);

#endif

/* Allowlist entries: validated and normalised before anything reaches pipelock's YAML.
 *
 * Accepted: DNS names (labels of letters, digits, '-' and '_', 1-63 bytes each, at most 253 in
 * all), the same with one leading "*." followed by at least two labels, and canonical IPv4
 * literals. Output is lowercase without a trailing dot. Everything else is rejected with a reason
 * that says how to write the entry instead. */
#ifndef BOTTLE_CONFIG_HOSTNAME_H
#define BOTTLE_CONFIG_HOSTNAME_H

#include <stddef.h>

#define CFG_HOST_MAX 253

enum cfg_host_kind {
  CFG_HOST_NAME,
  CFG_HOST_WILDCARD, /* "*.example.com": pipelock matches the apex and every subdomain */
  CFG_HOST_IPV4,
};

/* Validates the len bytes at in (which may contain NULs: they are rejected). On success writes
 * the normalised entry to out and its kind, and returns 0. On failure returns -1 and sets *why to
 * a static sentence ("is a URL; write only ...") meant to follow the quoted entry. */
int host_normalize(const char *in, size_t len, char out[CFG_HOST_MAX + 1], enum cfg_host_kind *kind,
                   const char **why);

#endif

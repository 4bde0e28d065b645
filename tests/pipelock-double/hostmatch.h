/* Host names as pipelock's scanner sees them: normalisation (pipelock.md §3.7
 * steps 1-2) and MatchDomain (§4). */
#ifndef PIPELOCK_DOUBLE_HOSTMATCH_H
#define PIPELOCK_DOUBLE_HOSTMATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "tests/pipelock-double/policy.h"

/* Lowercases, strips IPv6 brackets and canonicalises IPv4 hex/octal/integer
 * forms to dotted decimal. Returns false for a host pipelock could not parse
 * (empty, control characters, spaces, too long). */
bool host_normalize(const char *raw, char *out, size_t outlen);

bool host_is_ip(const char *host);

/* pipelock's MatchDomain: "*.x" matches x and every subdomain; anything else is
 * an exact, case-insensitive comparison with trailing dots ignored; IP hosts
 * only match exactly. */
bool match_domain(const char *pattern, const char *host);
bool match_any(const struct strlist *patterns, const char *host);

/* validate.go:29-55 rules for trusted_domains-like lists. Returns the normalised
 * entry (malloc'd) or NULL with the reason. */
char *normalize_trusted_domain(const char *raw, char *reason, size_t reasonlen);

#endif

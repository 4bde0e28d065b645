/* The slice of pipelock's DLP the double implements: known secrets from its own
 * environment (dlp.scan_env, pipelock.md §5.3) and dlp.secrets_file, found in
 * the URL or the dot-collapsed host in raw, base64, hex or base32 form (§5.1).
 * The 48 regex patterns are not implemented (only counted for /health). */
#ifndef PIPELOCK_DOUBLE_DLP_H
#define PIPELOCK_DOUBLE_DLP_H

#include "tests/pipelock-double/policy.h"

/* Collects the secrets once, as pipelock does at scanner construction. */
void dlp_init(const struct policy *p);

/* NULL when clean, else the block reason. */
const char *dlp_check(const char *url, const char *host);

#endif

/* pipelock's per-site scan rate limit (pipelock.md §1.2
 * fetch_proxy.monitoring.max_requests_per_minute, §3.6 "rate limit exceeded",
 * §3.7 step 14): a sliding 60 s window per registrable domain. The double
 * approximates eTLD+1 as the last two labels (no public suffix list). */
#ifndef PIPELOCK_DOUBLE_RATELIMIT_H
#define PIPELOCK_DOUBLE_RATELIMIT_H

#include <stdbool.h>

/* Records one scan of host; false when it exceeds limit in the last minute. */
bool ratelimit_allow(const char *host, long limit);

#endif

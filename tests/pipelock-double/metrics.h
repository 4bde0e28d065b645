/* pipelock's /metrics and /stats (pipelock.md §1.2, §3.1): served on the proxy listener when
 * metrics_listen is empty, and then only there; with metrics_listen set, only on a listener of
 * their own at that address (the proxy listener answers them 404, as pipelock's mux does). */
#ifndef PIPELOCK_DOUBLE_METRICS_H
#define PIPELOCK_DOUBLE_METRICS_H

#include <stdbool.h>

#include "tests/pipelock-double/proxy.h"

/* Answers req if it is GET/HEAD /metrics or /stats; returns whether it did. */
bool metrics_route(int fd, const struct proxy *px, const struct http_request *req);

/* Binds addr now (a failure is pipelock's fatal "metrics bind ADDR: ERR") and serves /metrics
 * and /stats there from a thread. Returns 0 or -1. */
int metrics_listen_start(struct proxy *px, const char *addr);

#endif

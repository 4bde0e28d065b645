/* Errors of config/: one line naming the entry, where it came from and the fix.
 *
 * config/ is a pure library (no runtime/ headers), so it has its own small error value. The first
 * message set wins: deeper code states the precise problem, callers never overwrite it. */
#ifndef BOTTLE_CONFIG_ERROR_H
#define BOTTLE_CONFIG_ERROR_H

#include <stddef.h>

struct cfg_error {
  char msg[512];
};

/* Sets err->msg (unless a message is already there) and returns -1. err may be NULL. */
int cfg_fail(struct cfg_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfg_error_clear(struct cfg_error *err);

/* Renders an untrusted value for an error message: double-quoted, control and non-ASCII bytes as
 * \xNN, cut to about 80 characters with "..." so a huge value cannot push the reason out of the
 * message. Returns out. */
const char *cfg_quote(const char *value, size_t len, char *out, size_t outsz);

#endif

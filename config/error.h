/* Errors of config/: one line naming the entry, where it came from and the fix, in the one error
 * value of bottle (runtime/lib/error.h, the only header of runtime/ that config/ uses). */
#ifndef BOTTLE_CONFIG_ERROR_H
#define BOTTLE_CONFIG_ERROR_H

#include <stddef.h>

#include "runtime/lib/error.h"

/* Renders an untrusted value for an error message: double-quoted, control and non-ASCII bytes as
 * \xNN, cut to about 80 characters with "..." so a huge value cannot push the reason out of the
 * message. Returns out. */
const char *cfg_quote(const char *value, size_t len, char *out, size_t outsz);

#endif

/* Shannon entropy in bits per byte, as pipelock computes it for subdomain
 * labels (§5.1) and environment secrets (§5.3). No libm: the double links only
 * libyaml and libpthread so it builds statically without surprises. */
#ifndef PIPELOCK_DOUBLE_ENTROPY_H
#define PIPELOCK_DOUBLE_ENTROPY_H

#include <stddef.h>

double shannon_entropy(const char *s, size_t n);

#endif

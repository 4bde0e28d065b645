/* Ownership of SSH targets: profiles own theirs, a resolved policy holds copies. */
#ifndef BOTTLE_CONFIG_SSH_TARGET_H
#define BOTTLE_CONFIG_SSH_TARGET_H

#include <stddef.h>

#include "config/policy.h"

/* Deep copy of n targets; NULL when out of memory (or n == 0). */
struct cfg_ssh_target *ssh_targets_copy(const struct cfg_ssh_target *from, size_t n);
void ssh_targets_free(struct cfg_ssh_target *targets, size_t n);

#endif

/* Path resolution that cannot escape a root directory: openat2 with
 * RESOLVE_IN_ROOT (symlinks resolve as if the root were "/"). Used for mount
 * targets, the container cwd, and files bottle writes into a bundle's rootfs. */
#ifndef BOTTLE_SAFEPATH_H
#define BOTTLE_SAFEPATH_H

#include <sys/types.h>
#include "runtime/lib/error.h"

/* Opens path inside root (an O_PATH dirfd). flags as for openat2; returns an fd or -1. */
int safepath_open(int rootfd, const char *path, int flags, mode_t mode, bottle_error_t *err);
/* mkdir -p of path inside root, every component resolved in root; returns an O_PATH fd of the
 * final directory or -1. */
int safepath_mkdirs(int rootfd, const char *path, mode_t mode, bottle_error_t *err);
/* Creates (truncates) a regular file inside root, never through a symlink, writes data, and
 * sets mode. For the generated pipelock config in the sidecar's rootfs. */
int safepath_write_file(int rootfd, const char *path, const void *data, size_t len, mode_t mode,
                        bottle_error_t *err);

#endif

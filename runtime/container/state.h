/* Per-container state under --root (§7): <root>/<id>/ (0711) holds
 * bottle.json (0600, private format, named so runc's loader skips it) and
 * exec.fifo between create and start. Each container has its own flock, so
 * verbs on different containers never wait on each other. */
#ifndef BOTTLE_STATE_H
#define BOTTLE_STATE_H

#include <stdbool.h>
#include <sys/types.h>
#include "runtime/lib/error.h"

#define STATE_FILE "bottle.json"
#define EXEC_FIFO "exec.fifo"

struct container;

/* runc's id rule: ^[\w+-\.]+$ and not "." or "..". The id names the state directory under
 * --root, so the rule lives with the state that relies on it. */
bool state_valid_id(const char *id);
/* Creates and locks <root>/<id>; "container with given ID already exists". */
int state_create(const char *root, const char *id, struct container **out, bottle_error_t *err);
/* Loads <root>/<id>; lock=true takes the container's exclusive flock first.
 * A missing dir gives "container does not exist" (errnum ENOENT). */
int state_load(const char *root, const char *id, bool lock, struct container **out,
               bottle_error_t *err);
/* Writes bottle.json atomically. */
int state_save(const struct container *c, bottle_error_t *err);
/* rm -rf <root>/<id>. */
int state_remove(struct container *c, bottle_error_t *err);
int state_remove_path(const char *root, const char *id);

#endif

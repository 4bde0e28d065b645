/* config.json: loading and the validation runc does before create (§4.1).
 * Other modules take cJSON subtrees of the loaded document. */
#ifndef BOTTLE_SPEC_H
#define BOTTLE_SPEC_H

#include <stdbool.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

/* Reads <dir>/config.json (dir NULL = cwd). */
int spec_load(const char *dir, cJSON **out, bottle_error_t *err);
/* process present, args non-empty, cwd absolute, root.path present, the sysctls. */
int spec_validate(const cJSON *config, bottle_error_t *err);
/* linux.sysctl holds only sysctls of namespaces the container does not share with the host
 * (runc's rules): the init writes them as host root, so any other would be the host's. */
int spec_validate_sysctls(const cJSON *config, bottle_error_t *err);
/* process.* checks shared with exec --process. */
int spec_validate_process(const cJSON *process, bottle_error_t *err);

/* linux.namespaces entry of that type ("pid", "network", ...), or NULL. */
const cJSON *spec_namespace(const cJSON *config, const char *type);
/* The type is listed (new or joined by path). */
bool spec_has_namespace(const cJSON *config, const char *type);
/* The type is listed without a path: a new namespace. */
bool spec_new_namespace(const cJSON *config, const char *type);

/* runc's `spec` template (rootless variant drops user-hostile bits). */
cJSON *spec_template(bool rootless);

#endif

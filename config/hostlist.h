/* Adding allowlist entries from each kind of input, each rejection naming its origin. */
#ifndef BOTTLE_CONFIG_HOSTLIST_H
#define BOTTLE_CONFIG_HOSTLIST_H

#include <stddef.h>
#include <cJSON.h>

#include "config/error.h"
#include "config/json_check.h"
#include "config/strlist.h"

/* origin: full text naming the entry, e.g. "/etc/bottle/bottle.json: egress.default_allowlist[2]".
 */
int hostlist_add(struct cfg_strlist *list, const char *value, size_t len, const char *origin,
                 bottle_error_t *err);
/* A comma-separated value (annotation, env). Blanks around entries are ignored; an empty value
 * adds nothing; an empty entry between commas is an error. origin: "annotation bottle.x". */
int hostlist_add_csv(struct cfg_strlist *list, const char *value, const char *origin,
                     bottle_error_t *err);
/* A JSON array of strings. */
int hostlist_add_json(struct cfg_strlist *list, const cJSON *array, struct json_where at,
                      bottle_error_t *err);

#endif

/* Strict reading of cJSON trees: cJSON itself accepts duplicate keys (and the first one wins) and
 * has no notion of a schema, so a typo or a second "egress" would silently drop policy. */
#ifndef BOTTLE_CONFIG_JSON_CHECK_H
#define BOTTLE_CONFIG_JSON_CHECK_H

#include <stdbool.h>
#include <cJSON.h>

#include "config/error.h"

/* Where a value sits, for messages: "<source>: <path>". */
struct json_where {
  const char *source; /* file path */
  const char *path;   /* key path such as "bottles.dev.ssh[0].Port"; "" at top level */
};

const char *json_type_name(const cJSON *item);
/* Fails on a duplicate key or on a key not in known (NULL-terminated). obj must be an object. */
int json_check_keys(const cJSON *obj, const char *const *known, struct json_where at,
                    bottle_error_t *err);
/* Type checks that fail with "<source>: <path>: expected T, got U". */
int json_expect(const cJSON *item, int cjson_type, struct json_where at, bottle_error_t *err);
int json_uint(const cJSON *item, unsigned min, unsigned max, struct json_where at, unsigned *out,
              bottle_error_t *err);
/* Writes "<parent>.<key>" (or "<key>" at top level) into buf. */
const char *json_path_key(char *buf, size_t size, const char *parent, const char *key);
const char *json_path_index(char *buf, size_t size, const char *parent, size_t index);

#endif

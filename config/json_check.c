#include "config/json_check.h"

#include <stdio.h>
#include <string.h>

const char *json_type_name(const cJSON *item)
{
  if (item == NULL)
    return "nothing";
  if (cJSON_IsString(item))
    return "a string";
  if (cJSON_IsNumber(item))
    return "a number";
  if (cJSON_IsBool(item))
    return "a boolean";
  if (cJSON_IsNull(item))
    return "null";
  if (cJSON_IsArray(item))
    return "an array";
  if (cJSON_IsObject(item))
    return "an object";
  return "an invalid value";
}

static const char *where_text(struct json_where at, char *buf, size_t size)
{
  if (at.path == NULL || at.path[0] == '\0')
    snprintf(buf, size, "%s: top level", at.source);
  else
    snprintf(buf, size, "%s: %s", at.source, at.path);
  return buf;
}

int json_check_keys(const cJSON *obj, const char *const *known, struct json_where at,
                    bottle_error_t *err)
{
  char where[300], shown[128];
  for (const cJSON *child = obj->child; child; child = child->next) {
    const char *key = child->string ? child->string : "";
    for (const cJSON *prev = obj->child; prev != child; prev = prev->next)
      if (prev->string && strcmp(prev->string, key) == 0)
        return berr(err, 0, "%s: key %s appears twice; keep one (JSON duplicates are ambiguous)",
                    where_text(at, where, sizeof(where)),
                    cfg_quote(key, strlen(key), shown, sizeof(shown)));
    bool ok = false;
    for (size_t i = 0; known[i]; i++)
      ok = ok || strcmp(known[i], key) == 0;
    if (!ok) {
      char list[200] = "";
      size_t used = 0;
      for (size_t i = 0; known[i] && used < sizeof(list); i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", known[i]);
      return berr(err, 0, "%s: unknown key %s; check the spelling (known keys: %s)",
                  where_text(at, where, sizeof(where)),
                  cfg_quote(key, strlen(key), shown, sizeof(shown)), list);
    }
  }
  return 0;
}

int json_expect(const cJSON *item, int cjson_type, struct json_where at, bottle_error_t *err)
{
  if (item && (item->type & 0xff) == cjson_type)
    return 0;
  const char *want = "a value";
  switch (cjson_type) {
  case cJSON_String:
    want = "a string";
    break;
  case cJSON_Number:
    want = "a number";
    break;
  case cJSON_Array:
    want = "an array";
    break;
  case cJSON_Object:
    want = "an object";
    break;
  }
  char where[300];
  return berr(err, 0, "%s: expected %s, got %s", where_text(at, where, sizeof(where)), want,
              json_type_name(item));
}

int json_uint(const cJSON *item, unsigned min, unsigned max, struct json_where at, unsigned *out,
              bottle_error_t *err)
{
  char where[300];
  if (!cJSON_IsNumber(item))
    return berr(err, 0, "%s: expected an integer %u-%u, got %s",
                where_text(at, where, sizeof(where)), min, max, json_type_name(item));
  double v = item->valuedouble;
  if (!(v >= min && v <= max) || (double)(unsigned)v != v)
    return berr(err, 0, "%s: %g is out of range; expected an integer %u-%u",
                where_text(at, where, sizeof(where)), v, min, max);
  *out = (unsigned)v;
  return 0;
}

const char *json_path_key(char *buf, size_t size, const char *parent, const char *key)
{
  if (parent == NULL || parent[0] == '\0')
    snprintf(buf, size, "%s", key);
  else
    snprintf(buf, size, "%s.%s", parent, key);
  return buf;
}

const char *json_path_index(char *buf, size_t size, const char *parent, size_t index)
{
  snprintf(buf, size, "%s[%zu]", parent, index);
  return buf;
}

#include "config/hostlist.h"

#include <stdio.h>
#include <string.h>

#include "config/hostname.h"

int hostlist_add(struct cfg_strlist *list, const char *value, size_t len, const char *origin,
                 bottle_error_t *err)
{
  char host[CFG_HOST_MAX + 1], shown[128];
  enum cfg_host_kind kind;
  const char *why;
  if (host_normalize(value, len, host, &kind, &why) < 0)
    return berr(err, 0, "%s: %s %s", origin, cfg_quote(value, len, shown, sizeof(shown)), why);
  if (strlist_add(list, host) < 0)
    return berr(err, 0, "%s: out of memory", origin);
  return 0;
}

static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

int hostlist_add_csv(struct cfg_strlist *list, const char *value, const char *origin,
                     bottle_error_t *err)
{
  size_t total = strlen(value);
  size_t blanks = 0;
  while (blanks < total && is_blank(value[blanks]))
    blanks++;
  if (blanks == total)
    return 0;
  const char *p = value;
  for (size_t entry = 1;; entry++) {
    const char *comma = strchr(p, ',');
    const char *end = comma ? comma : p + strlen(p);
    const char *start = p;
    while (start < end && is_blank(*start))
      start++;
    while (end > start && is_blank(end[-1]))
      end--;
    char where[300];
    snprintf(where, sizeof(where), "%s entry %zu", origin, entry);
    if (start == end)
      return berr(err, 0, "%s is empty (a stray comma?); separate hosts with single commas", where);
    if (hostlist_add(list, start, (size_t)(end - start), where, err) < 0)
      return -1;
    if (comma == NULL)
      return 0;
    p = comma + 1;
  }
}

int hostlist_add_json(struct cfg_strlist *list, const cJSON *array, struct json_where at,
                      bottle_error_t *err)
{
  if (json_expect(array, cJSON_Array, at, err) < 0)
    return -1;
  size_t i = 0;
  for (const cJSON *item = array->child; item; item = item->next, i++) {
    char path[300], origin[600];
    json_path_index(path, sizeof(path), at.path, i);
    struct json_where here = {at.source, path};
    if (!cJSON_IsString(item))
      return berr(err, 0, "%s: %s: expected a host name string, got %s; quote it", at.source, path,
                  json_type_name(item));
    snprintf(origin, sizeof(origin), "%s: %s", here.source, here.path);
    if (hostlist_add(list, item->valuestring, strlen(item->valuestring), origin, err) < 0)
      return -1;
  }
  return 0;
}

#include "config/strlist.h"

#include <stdlib.h>
#include <string.h>

/* Index of s if present (and *found set), else where it would go. */
static size_t strlist_find(const struct cfg_strlist *list, const char *s, bool *found)
{
  size_t lo = 0, hi = list->len;
  *found = false;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(list->items[mid], s);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int strlist_add(struct cfg_strlist *list, const char *s)
{
  bool found;
  size_t at = strlist_find(list, s, &found);
  if (found)
    return 0;
  if (list->len == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    char **items = realloc(list->items, cap * sizeof(*items));
    if (items == NULL)
      return -1;
    list->items = items;
    list->cap = cap;
  }
  char *copy = strdup(s);
  if (copy == NULL)
    return -1;
  memmove(list->items + at + 1, list->items + at, (list->len - at) * sizeof(*list->items));
  list->items[at] = copy;
  list->len++;
  return 0;
}

int strlist_add_all(struct cfg_strlist *list, const struct cfg_strlist *from)
{
  for (size_t i = 0; i < from->len; i++)
    if (strlist_add(list, from->items[i]) < 0)
      return -1;
  return 0;
}

bool strlist_contains(const struct cfg_strlist *list, const char *s)
{
  bool found;
  strlist_find(list, s, &found);
  return found;
}

void strlist_free(struct cfg_strlist *list)
{
  for (size_t i = 0; i < list->len; i++)
    free(list->items[i]);
  free(list->items);
  list->items = NULL;
  list->len = list->cap = 0;
}

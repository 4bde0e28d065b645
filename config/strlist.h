/* A sorted set of strings (byte order, no duplicates): the shape of every host list bottle hands
 * to pipelock, so equal inputs always give byte-identical YAML. */
#ifndef BOTTLE_CONFIG_STRLIST_H
#define BOTTLE_CONFIG_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

struct cfg_strlist {
  char **items;
  size_t len;
  size_t cap;
};

/* Adds a copy of s unless present. Returns 0, or -1 when out of memory. */
int strlist_add(struct cfg_strlist *list, const char *s);
int strlist_add_all(struct cfg_strlist *list, const struct cfg_strlist *from);
bool strlist_contains(const struct cfg_strlist *list, const char *s);
void strlist_free(struct cfg_strlist *list);

#endif

#include "runtime/bottle/bottle.h"

#include "runtime/container/state.h"

int bottle_delete(const struct globals *g, const char *id, struct container *c, bottle_error_t *err)
{
  int r = 0;
  if (c != NULL) {
    r = container_destroy(c, err);
    container_free(c);
  } else {
    state_remove_path(g->root, id);
  }
  if (r == 0)
    r = bottled_destroy(g, id, err);
  return r;
}

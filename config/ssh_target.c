#include "config/ssh_target.h"

#include <stdlib.h>
#include <string.h>

void ssh_targets_free(struct cfg_ssh_target *targets, size_t n)
{
  for (size_t i = 0; targets && i < n; i++) {
    free(targets[i].host);
    free(targets[i].hostname);
    free(targets[i].user);
  }
  free(targets);
}

struct cfg_ssh_target *ssh_targets_copy(const struct cfg_ssh_target *from, size_t n)
{
  if (n == 0)
    return NULL;
  struct cfg_ssh_target *copy = calloc(n, sizeof(*copy));
  if (copy == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    copy[i] = from[i];
    copy[i].host = strdup(from[i].host);
    copy[i].hostname = strdup(from[i].hostname);
    copy[i].user = from[i].user ? strdup(from[i].user) : NULL;
    if (!copy[i].host || !copy[i].hostname || (from[i].user && !copy[i].user)) {
      ssh_targets_free(copy, i + 1);
      return NULL;
    }
  }
  return copy;
}

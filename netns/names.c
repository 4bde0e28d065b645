#include "netns/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int nn_check_name(const char *name, bottle_error_t *err)
{
  if (name == NULL || name[0] == '\0')
    return berr(err, EINVAL, "name: empty (pass the container id)");
  size_t len = strlen(name);
  if (len > NETNS_NAME_MAX)
    return berr(err, EINVAL, "name: %zu characters, at most %d allowed", len, NETNS_NAME_MAX);
  if (name[0] == '.')
    return berr(err, EINVAL, "name '%s': must not start with '.'", name);
  for (const char *p = name; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok)
      return berr(err, EINVAL, "name '%s': only letters, digits, '_', '-' and '.' allowed", name);
  }
  return 0;
}

/* 40 bits of FNV-1a: interface names must fit IFNAMSIZ, so the id is hashed; a clash is
 * detected when the kernel refuses the second link with EEXIST. */
void nn_hash(const char *name, char out[NN_HASH_LEN + 1])
{
  uint64_t h = 14695981039346656037ULL;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  snprintf(out, NN_HASH_LEN + 1, "%010llx", (unsigned long long)(h >> 24));
}

const char *nn_state_dir(const char *state_dir)
{
  return state_dir ? state_dir : NETNS_DEFAULT_STATE_DIR;
}

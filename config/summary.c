/* The one-line egress summary of the preflight plan. */
#include "config/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_SHOWN 3

char *cfg_summary(const struct bottle_policy *pol)
{
  size_t n = pol->allowlist.len;
  size_t shown = n < SUMMARY_SHOWN ? n : SUMMARY_SHOWN;
  size_t size = 64;
  for (size_t i = 0; i < shown; i++)
    size += strlen(pol->allowlist.items[i]) + 2;
  char *line = malloc(size);
  if (line == NULL)
    return NULL;
  size_t used = (size_t)snprintf(line, size, "%zu %s allowed", n, n == 1 ? "host" : "hosts");
  for (size_t i = 0; i < shown; i++)
    used += (size_t)snprintf(line + used, size - used, "%s%s", i ? ", " : " (",
                             pol->allowlist.items[i]);
  if (n > shown)
    used += (size_t)snprintf(line + used, size - used, " +%zu more", n - shown);
  if (shown)
    snprintf(line + used, size - used, ")");
  return line;
}

#include <stdio.h>
#include <stdlib.h>

#include "runtime/bottle/bottled.h"
#include "runtime/bottle/bypass.h"
#include "runtime/lib/cleanup.h"
#include "runtime/container/state.h"
#include "runtime/cli/verbs.h"

int verb_state(struct globals *g, int argc, char **argv)
{
  static const struct option none[] = {{NULL, 0, NULL, 0}};
  optind = 0;
  if (getopt_long(argc, argv, "+", none, NULL) != -1)
    return cli_usage_error("state", "flag provided but not defined");
  const char *id = cli_one_id(argc, argv, optind, "state");
  if (id == NULL)
    return 1;
  bottle_error_t err = {0};
  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, false, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  cleanup_cjson cJSON *j = container_state_json(c, container_status(c), "");
  /* What the agent tried below the proxy (clients ignore the field too); nothing when the
   * counters cannot be read, as state must answer for a bottle half torn down. */
  cJSON *bypass = c->bottle != NULL ? bypass_counts_json(c, &err) : NULL;
  if (bypass != NULL)
    cJSON_AddItemToObject(j, "bypass", bypass);
  berr_clear(&err);
  container_free(c);
  /* A bottled container also says whether its proxy still runs (clients ignore the field). */
  const char *sidecar = bottled_sidecar_status(&g->ctx, id);
  if (sidecar != NULL)
    cJSON_AddStringToObject(j, "sidecar", sidecar);
  char *s = cJSON_Print(j);
  /* runc's layout: two-space indent, "key": value, no trailing newline.
   * cJSON escapes tabs inside strings, so every raw tab is layout. */
  for (const char *p = s; *p; p++) {
    if (*p != '\t')
      fputc(*p, stdout);
    else if (p > s && p[-1] == ':')
      fputc(' ', stdout);
    else
      fputs("  ", stdout);
  }
  free(s);
  return 0;
}

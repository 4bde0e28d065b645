#include "runtime/container/state.h"
#include "runtime/bottle/start_gate.h"
#include "runtime/container/container.h"
#include "runtime/cli/verbs.h"

int verb_start(struct globals *g, int argc, char **argv)
{
  static const struct option none[] = {{NULL, 0, NULL, 0}};
  optind = 0;
  if (getopt_long(argc, argv, "+", none, NULL) != -1)
    return cli_usage_error("start", "flag provided but not defined");
  const char *id = cli_one_id(argc, argv, optind, "start");
  if (id == NULL)
    return 1;
  bottle_error_t err = {0};
  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, true, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  int r = container_start(c, start_gate, &err);
  container_free(c);
  return r < 0 ? verb_fail(&err, NULL, 1) : 0;
}

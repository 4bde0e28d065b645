#include "runtime/container/state.h"
#include "runtime/bottle/bottle.h"
#include "runtime/container/container.h"
#include "runtime/cli/verbs.h"

int verb_delete(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {{"force", optional_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
  bool force = false;
  cli_normalize(argc, argv, opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
    if (ch == 'f')
      force = cli_bool(optarg);
    else
      return cli_usage_error("delete", "flag provided but not defined");
  }
  const char *id = cli_one_id(argc, argv, optind, "delete");
  if (id == NULL)
    return 1;
  bottle_error_t err = {0};
  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, true, &c, &err) < 0) {
    /* A crash mid-create can leave a directory without a state file, and a
     * bottle's sidecar and network without an agent. */
    bottle_error_t e2 = {0};
    if (bottle_delete(&g->ctx, id, NULL, &e2) < 0 && force) {
      berr_clear(&err);
      return verb_fail(&e2, NULL, 1);
    }
    berr_clear(&e2);
    if (force) {
      berr_clear(&err);
      return 0;
    }
    return verb_fail(&err, NULL, 1);
  }
  enum status s = container_status(c);
  if (!force && (s == STATUS_RUNNING || s == STATUS_PAUSED)) {
    berr(&err, 0, "cannot delete container %s that is not stopped: %s", id, status_name(s));
    container_free(c);
    return verb_fail(&err, NULL, 1);
  }
  return bottle_delete(&g->ctx, id, c, &err) < 0 ? verb_fail(&err, NULL, 1) : 0;
}

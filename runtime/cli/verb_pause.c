#include "runtime/container/container.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container/state.h"
#include "runtime/cli/verbs.h"

static int freeze_verb(struct globals *g, int argc, char **argv, const char *verb, bool frozen)
{
  static const struct option none[] = {{NULL, 0, NULL, 0}};
  optind = 0;
  if (getopt_long(argc, argv, "+", none, NULL) != -1)
    return cli_usage_error(verb, "flag provided but not defined");
  const char *id = cli_one_id(argc, argv, optind, verb);
  if (id == NULL)
    return 1;
  bottle_error_t err = {0};
  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, true, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  enum status s = container_status(c);
  int r = 0;
  if (frozen && s != STATUS_RUNNING && s != STATUS_CREATED)
    r = berr(&err, 0, "container not running");
  else if (!frozen && s != STATUS_PAUSED && !(c->cgroup && cgroup_is_frozen(c->cgroup)))
    r = berr(&err, 0, "container not paused");
  else if (c->cgroup == NULL)
    r = berr(&err, 0, "container has no cgroup to %s", verb);
  else
    r = cgroup_freeze(c->cgroup, frozen, &err);
  container_free(c);
  return r < 0 ? verb_fail(&err, NULL, 1) : 0;
}

int verb_pause(struct globals *g, int argc, char **argv)
{
  return freeze_verb(g, argc, argv, "pause", true);
}

int verb_resume_impl(struct globals *g, int argc, char **argv);
int verb_resume_impl(struct globals *g, int argc, char **argv)
{
  return freeze_verb(g, argc, argv, "resume", false);
}

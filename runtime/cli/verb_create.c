#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/bottle/bottle.h"
#include "runtime/container/container.h"
#include "runtime/cli/create_flags.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

static const struct option create_opts[] = {
    CREATE_FLAG_OPTIONS,
    {NULL, 0, NULL, 0},
};

int verb_create(struct globals *g, int argc, char **argv)
{
  struct create_args a = {0};
  cli_normalize(argc, argv, create_opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+b:", create_opts, NULL)) != -1)
    if (!create_flag(&a, ch, optarg))
      return cli_usage_error("create", "flag provided but not defined");
  if (create_args_finish(&a, argc, argv, "create") < 0)
    return 1;
  bottle_error_t err = {0};
  struct container *c = NULL;
  int rc = 0;
  if (chdir(a.bundle) < 0)
    berr(&err, errno, "chdir to bundle %s", a.bundle);
  else if (bottle_create(&g->ctx, &a.o, &c, &err) == 0)
    container_free(c);
  if (err.set)
    rc = verb_fail(&err, "bottle create failed: ", 1);
  create_args_free(&a);
  return rc;
}

#include "runtime/bottle/bottle.h"
#include "runtime/cli/create_flags.h"
#include "runtime/cli/verbs.h"

enum { OPT_KEEP = CREATE_OPT_NEXT, OPT_NO_SUBREAPER };

static const struct option run_opts[] = {
    CREATE_FLAG_OPTIONS,
    {"detach", optional_argument, NULL, 'd'},
    {"keep", optional_argument, NULL, OPT_KEEP},
    {"no-subreaper", optional_argument, NULL, OPT_NO_SUBREAPER},
    {NULL, 0, NULL, 0},
};

int verb_run(struct globals *g, int argc, char **argv)
{
  struct create_args a = {0};
  struct bottle_run_opts r = {0};
  cli_normalize(argc, argv, run_opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+b:d", run_opts, NULL)) != -1) {
    if (create_flag(&a, ch, optarg))
      continue;
    switch (ch) {
    case 'd':
      r.detach = cli_bool(optarg);
      break;
    case OPT_KEEP:
      r.keep = cli_bool(optarg);
      break;
    case OPT_NO_SUBREAPER:
      r.no_subreaper = cli_bool(optarg);
      break;
    default:
      return cli_usage_error("run", "flag provided but not defined");
    }
  }
  if (create_args_finish(&a, argc, argv, "run") < 0)
    return 1;
  bottle_error_t err = {0};
  int rc = bottle_run(&g->ctx, &a.o, &r, &err);
  if (rc < 0)
    rc = verb_fail(&err, "bottle run failed: ", 1);
  create_args_free(&a);
  return rc;
}

#include <signal.h>

#include "runtime/container/state.h"
#include "runtime/container/container.h"
#include "runtime/cli/verbs.h"

int verb_kill(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {{"all", optional_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
  bool all = false;
  cli_normalize(argc, argv, opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
    if (ch == 'a')
      all = cli_bool(optarg);
    else
      return cli_usage_error("kill", "flag provided but not defined");
  }
  int n = argc - optind;
  if (n < 1 || n > 2)
    return cli_usage_error("kill", "requires a minimum of 1 and a maximum of 2 argument(s)");
  const char *id = argv[optind];
  int sig = SIGTERM;
  bottle_error_t err = {0};
  if (n == 2) {
    sig = parse_signal(argv[optind + 1]);
    if (sig < 0) {
      berr(&err, 0, "unknown signal \"%s\"", argv[optind + 1]);
      return verb_fail(&err, NULL, 1);
    }
  }
  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, false, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  int r = container_kill(c, sig, all, &err);
  container_free(c);
  return r < 0 ? verb_fail(&err, NULL, 1) : 0;
}

#include "runtime/cli/verb_policy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/bottle/live_policy.h"
#include "runtime/cli/find_bottled.h"
#include "runtime/cli/verbs.h"
#include "runtime/lib/cleanup.h"

int verb_policy(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {
      {"allow", required_argument, NULL, 'a'},
      {"deny", required_argument, NULL, 'd'},
      {NULL, 0, NULL, 0},
  };
  /* in the order given: --allow x --deny x leaves x out */
  cleanup_free struct live_policy_change *changes = calloc((size_t)argc, sizeof(*changes));
  if (changes == NULL)
    abort();
  size_t n = 0;
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "a:d:", opts, NULL)) != -1) {
    if (ch != 'a' && ch != 'd')
      return cli_usage_error("policy", "flag provided but not defined");
    changes[n++] = (struct live_policy_change){.allow = ch == 'a', .host = optarg};
  }
  const char *id = cli_one_id(argc, argv, optind, "policy");
  if (id == NULL)
    return 1;
  /* Without --root, found the way bottle logs finds it, in whichever engine's root it is. */
  cleanup_free char *root = NULL, *found = NULL;
  struct bottle_context at = g->ctx;
  if (g->ctx.base.state_root == NULL) {
    if (find_bottled(NULL, id, &root, &found) < 0)
      return 1;
    at.base.state_root = root;
    id = found;
  }
  bottle_error_t err = {0};
  if (n == 0 ? live_policy_show(&at, id, stdout, &err) < 0
             : live_policy_change(&at, id, changes, n, &err) < 0)
    return verb_fail(&err, NULL, 1);
  return n == 0 ? 0 : live_policy_show(&at, id, stdout, &err) < 0 ? verb_fail(&err, NULL, 1) : 0;
}

#include "runtime/lib/log.h"
#include "runtime/cli/verbs.h"

/* CRIU is not supported; features advertises checkpoint.enabled=false. */
int verb_checkpoint(struct globals *g, int argc, char **argv)
{
  (void)g;
  log_fatal("%s: checkpoint/restore (CRIU) is not supported by bottle", argv[0]);
  (void)argc;
  return 1;
}

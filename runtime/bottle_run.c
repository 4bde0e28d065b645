#include "runtime/bottle_run.h"

#include <stdio.h>

/* Declared gap: issue 5 replaces these with the real bottle-run. */
int bottle_run_main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "bottle-run: not yet implemented (issue 5)\n");
  return 1;
}

int bottle_logs_main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "bottle logs: not yet implemented (issue 5)\n");
  return 1;
}

int bottle_gc_main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "bottle gc: not yet implemented (issue 5)\n");
  return 1;
}

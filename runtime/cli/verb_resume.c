#include "runtime/cli/verbs.h"

/* resume shares its logic with pause (verb_pause.c). */
int verb_resume_impl(struct globals *g, int argc, char **argv);

int verb_resume(struct globals *g, int argc, char **argv)
{
  return verb_resume_impl(g, argc, argv);
}

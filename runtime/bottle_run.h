/* Entry point of `bottle-run` (issue 5): the same binary invoked under that
 * name. Implemented by the end-to-end engineer; until then bottle_run.c
 * reports that it is not implemented. */
#ifndef BOTTLE_BOTTLE_RUN_H
#define BOTTLE_BOTTLE_RUN_H

int bottle_run_main(int argc, char **argv);
/* `bottle logs` and `bottle gc`, reserved for issue 5. */
int bottle_logs_main(int argc, char **argv);
int bottle_gc_main(int argc, char **argv);

#endif

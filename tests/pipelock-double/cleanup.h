/* Scope-bound release for the double (kept separate from runtime/lib/cleanup.h so the
 * double shares no code with bottle). */
#ifndef PIPELOCK_DOUBLE_CLEANUP_H
#define PIPELOCK_DOUBLE_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void pd_freep(void *p)
{
  free(*(void **)p);
}
static inline void pd_closep(int *fd)
{
  if (*fd >= 0)
    close(*fd);
}
static inline void pd_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}

#define autofree __attribute__((cleanup(pd_freep)))
#define autoclose __attribute__((cleanup(pd_closep)))
#define autofclose __attribute__((cleanup(pd_fclosep)))

#endif

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/cgroup.h"

static void *move_self(void *arg)
{
  /* "0" is the writing process: a move into the cgroup it is in, which takes the lock and
   * changes nothing. */
  int fd = open(arg, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, "0", 1);
    close(fd);
  }
  return NULL;
}

void cgroup_warm_start(struct cgroup_warm *w)
{
  *w = (struct cgroup_warm){0};
  w->procs = cgroup_own_procs_file();
  if (w->procs == NULL)
    return;
  w->started = pthread_create(&w->thread, NULL, move_self, w->procs) == 0;
}

void cgroup_warm_finish(struct cgroup_warm *w)
{
  if (w->started)
    pthread_join(w->thread, NULL);
  free(w->procs);
  *w = (struct cgroup_warm){0};
}

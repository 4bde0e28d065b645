#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"

/* Finding the cgroup (a read of mountinfo) happens here too, off the caller's path; the
 * caller runs no cgroup code until cgroup_warm_finish. */
static void *move_self(void *arg)
{
  (void)arg;
  char *procs = cgroup_own_procs_file();
  if (procs == NULL)
    return NULL;
  /* "0" is the writing process: a move into the cgroup it is in, which takes the lock and
   * changes nothing. */
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, "0", 1);
    close(fd);
  }
  free(procs);
  return NULL;
}

void cgroup_warm_start(struct cgroup_warm *w)
{
  w->started = pthread_create(&w->thread, NULL, move_self, NULL) == 0;
}

void cgroup_warm_finish(struct cgroup_warm *w)
{
  if (w->started)
    pthread_join(w->thread, NULL);
  w->started = false;
}

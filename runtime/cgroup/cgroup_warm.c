#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"

/* The thread makes system calls only: create forks while it runs, and a fork while another
 * thread is inside malloc leaves the child a lock nobody releases (ASan's allocator, unlike
 * glibc's, does not reset its locks at fork), so the path is found before it starts. */
static void *move_self(void *arg)
{
  const char *procs = arg;
  /* "0" is the writing process: a move into the cgroup it is in, which takes the lock and
   * changes nothing. */
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, "0", 1);
    close(fd);
  }
  return NULL;
}

void cgroup_warm_start(struct cgroup_warm *w)
{
  w->started = false;
  w->procs = cgroup_own_procs_file();
  if (w->procs == NULL)
    return;
#if defined(__SANITIZE_ADDRESS__)
  /* No thread at all under ASan: a thread that exits gives back its allocator cache and
   * registry entry under ASan's locks, and a fork at that moment would leave the child
   * blocked in its first malloc (the likely cause of a sanitized run that hung once in CI;
   * glibc's malloc, in the release build, resets its locks at fork). */
  move_self(w->procs);
#else
  w->started = pthread_create(&w->thread, NULL, move_self, w->procs) == 0;
#endif
  if (!w->started) {
    free(w->procs);
    w->procs = NULL;
  }
}

void cgroup_warm_finish(struct cgroup_warm *w)
{
  if (w->started)
    pthread_join(w->thread, NULL);
  w->started = false;
  free(w->procs);
  w->procs = NULL;
}

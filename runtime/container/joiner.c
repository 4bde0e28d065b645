/* The joiner, shared by exec and by a create whose pid namespace is joined by path: a
 * short-lived process outside the container's pid namespace enters its namespaces and clones the
 * process that runs there (see joiner_main). */
#include "runtime/container/joiner.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/container/process.h"
#include "runtime/container/sync.h"
#include "runtime/lib/util.h"

static const struct {
  const char *name;
  int flag;
} join_order[] = {
    /* As host root we may enter every namespace of the container directly;
     * the user namespace goes last, so that namespaces owned by another user
     * namespace (a netns joined by path) are still joinable. pid only sets
     * where the joiner's children are born: the joiner itself stays outside. */
    {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
    {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID},
    {"user", CLONE_NEWUSER},
};

static bool same_ns(pid_t pid, const char *name)
{
  char a[64], b[64];
  snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, name);
  snprintf(b, sizeof(b), "/proc/self/ns/%s", name);
  struct stat sa, sb;
  if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
    return false;
  return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

int ns_joins_open(pid_t pid, int pidns_fd, int min_fd, struct ns_joins *j, bottle_error_t *err)
{
  j->n = 0;
  for (size_t i = 0; i < sizeof(join_order) / sizeof(*join_order); i++) {
    int fd;
    if (join_order[i].flag == CLONE_NEWPID && pidns_fd >= 0) {
      fd = fcntl(pidns_fd, F_DUPFD_CLOEXEC, min_fd);
      if (fd < 0) {
        ns_joins_close(j);
        return berr(err, errno, "dup the pid namespace");
      }
    } else {
      if (same_ns(pid, join_order[i].name))
        continue;
      char path[64];
      snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, join_order[i].name);
      int low = open(path, O_RDONLY | O_CLOEXEC);
      if (low < 0) {
        ns_joins_close(j);
        return berr(err, errno, "open %s", path);
      }
      fd = fcntl(low, F_DUPFD_CLOEXEC, min_fd);
      close(low);
    }
    j->types[j->n] = join_order[i].flag;
    j->fds[j->n++] = fd;
  }
  return 0;
}

void ns_joins_close(struct ns_joins *j)
{
  for (int i = 0; i < j->n; i++)
    if (j->fds[i] >= 0)
      close(j->fds[i]);
  j->n = 0;
}

_Noreturn void joiner_child_fail(int sync, bottle_error_t *err)
{
  sync_send(sync, SYNC_ERROR, (err && err->set) ? err->msg : "exec failed");
  _exit(1);
}

/* The joiner, as runc's nsexec: a process in none of the container's pid
 * namespaces (so nothing inside can open its /proc/<pid>/root or fds) joins
 * every namespace, mount included, and only then clones the process into the
 * pid namespace. setns into the mount namespace sets root and cwd to the
 * namespace's root; the chdir makes sure of the cwd. CLONE_PARENT makes that
 * process the caller's child, as if forked directly (waitloop, the
 * subreaper). Reports the process's pid on the sync socket, then exits. */
static _Noreturn void joiner_main(const struct joiner *jn)
{
  bottle_error_t cerr = {0};
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (jn->dirfd >= 0)
    close(jn->dirfd);
  int keep[JOINER_MAX_KEEP + 8];
  size_t k = 0;
  for (size_t i = 0; i < jn->nkeep && i < JOINER_MAX_KEEP; i++)
    keep[k++] = jn->keep[i];
  for (int i = 0; i < jn->ns->n; i++)
    keep[k++] = jn->ns->fds[i];
  close_fds_except(jn->first_closed, keep, k);
  for (int i = 0; i < jn->ns->n; i++) {
    if (setns(jn->ns->fds[i], jn->ns->types[i]) < 0) {
      berr(&cerr, errno, "setns (type 0x%x)", jn->ns->types[i]);
      joiner_child_fail(jn->sync, &cerr);
    }
    close(jn->ns->fds[i]);
  }
  if (chdir("/") < 0) {
    berr(&cerr, errno, "chdir to the container's root");
    joiner_child_fail(jn->sync, &cerr);
  }
  pid_t pid =
      (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, 0UL);
  if (pid == 0) {
    jn->run(jn->arg);
    _exit(1);
  }
  if (pid < 0) {
    berr(&cerr, errno, "clone the container process");
    joiner_child_fail(jn->sync, &cerr);
  }
  char text[16];
  snprintf(text, sizeof(text), "%d", (int)pid);
  sync_send(jn->sync, SYNC_GO, text);
  _exit(0);
}

static __attribute__((unused)) int joiner_entry(void *arg)
{
  joiner_main(arg);
}

pid_t joiner_spawn(const struct joiner *jn, int sync_parent, bottle_error_t *err)
{
  fflush(NULL);
#if defined(__SANITIZE_ADDRESS__)
  /* ASan cannot follow a stack it did not make (and says so on stderr). */
  pid_t joiner = fork();
  if (joiner == 0)
    joiner_main(jn);
#else
  /* As posix_spawn: the joiner shares our memory and we are suspended until
   * it exits, so nobody copies our page tables but the process it clones
   * (a fork here cost every exec about half a millisecond). */
  enum { JOINER_STACK = 64 * 1024 };
  cleanup_free char *stack = malloc(JOINER_STACK);
  if (stack == NULL)
    return berr(err, ENOMEM, "joiner stack");
  pid_t joiner = clone(joiner_entry, stack + JOINER_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD,
                       (void *)(uintptr_t)jn);
#endif
  if (joiner < 0)
    return berr(err, errno, "start the namespace joiner");
  int status = 0;
  while (waitpid(joiner, &status, 0) < 0)
    if (errno != EINTR)
      return berr(err, errno, "wait for the namespace joiner");
  /* Exited, so its one message is queued already. */
  enum sync_type t;
  cleanup_free char *text = NULL;
  if (sync_recv(sync_parent, &t, &text) < 0)
    return berr(err, errno, "read from the namespace joiner");
  if (t == SYNC_ERROR)
    return berr(err, 0, "%s", text ? text : "namespace joiner failed");
  if (t != SYNC_GO || text == NULL || atoi(text) <= 0 || !WIFEXITED(status))
    return berr(err, 0, "the namespace joiner exited without starting the process");
  return (pid_t)atoi(text);
}

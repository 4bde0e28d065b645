/* An agent with CAP_SYS_PTRACE watching for processes that appear in its pid
 * namespace (issue 9, item 1): for every new pid it opens /proc/<pid>/root and
 * /proc/<pid>/cwd and looks, through them, for a file that exists only at the
 * host's root. Seeing it means the process was visible in the container while
 * it still had the host's root or cwd (or held a host directory fd): the agent
 * could keep that fd and write host files.
 *
 *   exec-window-watcher MARKER STOPFILE
 *
 * MARKER is the file's name (no slash) at the host's root, STOPFILE a path in
 * the container whose appearance ends the watch. Prints "ready" once watching;
 * at the end "seen N" (distinct pids whose root it opened) and exits 0, or
 * "ESCAPE ..." and exits 1 at the first sighting. Pids are allocated upwards,
 * so besides a readdir of /proc now and then it probes the pids just above the
 * highest seen, which catches a process within microseconds of its birth. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXPID (1 << 22)

static unsigned char seen[MAXPID / 8];
static const char *marker;
static char up_marker[512];
static long nseen;

/* Through root the marker is at the top; through cwd it is above: ".." from a
 * directory outside our own root climbs to the real root. */
static int holds_host(int dirfd, const char *rel)
{
  int fd = openat(dirfd, rel, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return 0;
  close(fd);
  return 1;
}

/* A directory fd it holds that leads to the host's root. */
static int host_dir_fd(int pid)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/fd", pid);
  DIR *d = opendir(path);
  if (d == NULL)
    return 0;
  int found = 0;
  struct dirent *e;
  while (!found && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    int fd = openat(dirfd(d), e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      continue;
    found = holds_host(fd, up_marker);
    close(fd);
  }
  closedir(d);
  return found;
}

static void probe(int pid, int self)
{
  if (pid <= 1 || pid >= MAXPID || pid == self)
    return;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/root", pid);
  int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
  int cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root >= 0 && !(seen[pid / 8] & (1 << (pid % 8)))) {
    seen[pid / 8] |= (unsigned char)(1 << (pid % 8));
    nseen++;
  }
  const char *bad = root >= 0 && holds_host(root, marker)    ? "root"
                    : cwd >= 0 && holds_host(cwd, up_marker) ? "cwd"
                    : host_dir_fd(pid)                       ? "open directory fd"
                                                             : NULL;
  if (bad != NULL) {
    printf("ESCAPE pid %d: its %s is the host's (%s found)\n", pid, bad, marker);
    fflush(stdout);
    exit(1);
  }
  if (root >= 0)
    close(root);
  if (cwd >= 0)
    close(cwd);
}

static int scan_proc(int self)
{
  int hi = 0;
  DIR *d = opendir("/proc");
  if (d == NULL)
    return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    int pid = atoi(e->d_name);
    if (pid <= 0)
      continue;
    probe(pid, self);
    if (pid > hi)
      hi = pid;
  }
  closedir(d);
  return hi;
}

int main(int argc, char **argv)
{
  if (argc != 3 || strchr(argv[1], '/') != NULL) {
    fprintf(stderr, "usage: %s MARKER STOPFILE\n", argv[0]);
    return 2;
  }
  marker = argv[1];
  size_t off = 0;
  for (int i = 0; i < 40; i++)
    off += (size_t)snprintf(up_marker + off, sizeof(up_marker) - off, "../");
  snprintf(up_marker + off, sizeof(up_marker) - off, "%s", marker);
  int self = getpid();
  if (holds_host(AT_FDCWD, up_marker)) {
    printf("the marker %s is visible from inside: the test is broken\n", marker);
    return 2;
  }
  int hi = scan_proc(self);
  printf("ready\n");
  fflush(stdout);
  for (unsigned long round = 0;; round++) {
    for (int pid = hi > 8 ? hi - 8 : 2; pid <= hi + 64; pid++) {
      char path[64];
      snprintf(path, sizeof(path), "/proc/%d", pid);
      if (pid == self || access(path, F_OK) < 0) /* cheaper than a refused open */
        continue;
      probe(pid, self);
      if (pid > hi)
        hi = pid;
    }
    if (round % 4096 == 0) {
      int h = scan_proc(self);
      if (h > hi)
        hi = h;
      if (access(argv[2], F_OK) == 0)
        break;
    }
  }
  printf("seen %ld\n", nseen);
  return 0;
}

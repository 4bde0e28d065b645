/* rootfs_probe: runs the rootfs code of the runtime on its own, for the
 * integration tests of mounts, devices, pivot_root and masked paths.
 *
 *   rootfs_probe [--no-pivot] [--console] [--userns] CONFIG ROOTFS -- CMD [ARGS...]
 *
 * Unshares the namespaces listed in CONFIG's linux.namespaces (always a
 * mount namespace), forks so the child is PID 1 of a new PID namespace,
 * calls rootfs_mount() and rootfs_pivot() with CONFIG's mounts, linux and
 * root.readonly, then execs CMD inside. With --console a pty is opened from
 * the container's devpts and bound over /dev/console. With --userns the
 * namespaces are created inside a new user namespace mapping only root to
 * root (rootfs_opts.userns: devices are bound, not created). Exits with CMD's
 * status; 125 and a message on stderr when the setup fails. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/rootfs/rootfs.h"

/* LeakSanitizer cannot stop the world of a process that made a new PID
 * namespace (under `make asan`); the probe is a test tool, not the runtime. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
  return 1;
}

static char *read_file(const char *path)
{
  cleanup_fclose FILE *f = fopen(path, "re");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t len = 0;
  cleanup_fclose FILE *mem = open_memstream(&buf, &len);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    fwrite(chunk, 1, n, mem);
  fclose(take_ptr(mem));
  return buf;
}

static int write_proc(const char *path, const char *value)
{
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  return write(fd, value, strlen(value)) == (ssize_t)strlen(value) ? 0 : -1;
}

static int die(bottle_error_t *err)
{
  fprintf(stderr, "rootfs_probe: %s\n", err->msg);
  berr_clear(err);
  return 125;
}

static int namespace_flags(const cJSON *linux, bool *cgroupns)
{
  int flags = CLONE_NEWNS;
  *cgroupns = false;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(linux, "namespaces");
  const cJSON *ns;
  cJSON_ArrayForEach(ns, list)
  {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ns, "type");
    if (!cJSON_IsString(type))
      continue;
    const char *t = type->valuestring;
    if (strcmp(t, "pid") == 0)
      flags |= CLONE_NEWPID;
    else if (strcmp(t, "ipc") == 0)
      flags |= CLONE_NEWIPC;
    else if (strcmp(t, "uts") == 0)
      flags |= CLONE_NEWUTS;
    else if (strcmp(t, "network") == 0)
      flags |= CLONE_NEWNET;
    else if (strcmp(t, "cgroup") == 0) {
      flags |= CLONE_NEWCGROUP;
      *cgroupns = true;
    }
  }
  return flags;
}

static int open_console(void)
{
  /* After the pivot, /dev/ptmx is the container's devpts multiplexer. */
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
    return -1;
  char *name = ptsname(master);
  bottle_error_t err = {0};
  if (name == NULL || rootfs_bind_console(name, &err) < 0) {
    if (err.set)
      die(&err);
    return -1;
  }
  return master;
}

int main(int argc, char **argv)
{
  bool no_pivot = false, console = false, userns = false;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2]; i++) {
    if (strcmp(argv[i], "--no-pivot") == 0)
      no_pivot = true;
    else if (strcmp(argv[i], "--console") == 0)
      console = true;
    else if (strcmp(argv[i], "--userns") == 0)
      userns = true;
    else
      break;
  }
  if (argc - i < 4 || strcmp(argv[i + 2], "--") != 0) {
    fprintf(stderr,
            "usage: rootfs_probe [--no-pivot] [--console] [--userns] CONFIG ROOTFS -- CMD...\n");
    return 2;
  }
  cleanup_free char *text = read_file(argv[i]);
  if (text == NULL) {
    fprintf(stderr, "rootfs_probe: read %s: %s\n", argv[i], strerror(errno));
    return 2;
  }
  cleanup_cjson cJSON *config = cJSON_Parse(text);
  if (config == NULL) {
    fprintf(stderr, "rootfs_probe: %s: invalid JSON\n", argv[i]);
    return 2;
  }
  const cJSON *root = cJSON_GetObjectItemCaseSensitive(config, "root");
  const cJSON *linux = cJSON_GetObjectItemCaseSensitive(config, "linux");
  cleanup_free char *rootfs = realpath(argv[i + 1], NULL);
  if (rootfs == NULL) {
    fprintf(stderr, "rootfs_probe: %s: %s\n", argv[i + 1], strerror(errno));
    return 2;
  }
  struct rootfs_opts o = {
      .rootfs = rootfs,
      .readonly = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "readonly")),
      .no_pivot = no_pivot,
      .mounts = cJSON_GetObjectItemCaseSensitive(config, "mounts"),
      .linux = linux,
  };
  bool cgroupns;
  int flags = namespace_flags(linux, &cgroupns);
  o.new_cgroupns = cgroupns;
  o.userns = userns;
  /* With a user namespace its maps must be written from outside it, by
   * the parent: the unsharing happens in a child that waits for them. */
  int sync[2];
  if (userns && pipe2(sync, O_CLOEXEC) < 0)
    return 125;
  if (userns) {
    pid_t setup = fork();
    if (setup < 0)
      return 125;
    if (setup > 0) {
      close(sync[0]);
      char path[64], idmap[] = "0 0 65536";
      snprintf(path, sizeof(path), "/proc/%d/ns/user", setup);
      /* Wait until the child is in its own user namespace. */
      char self_ns[64] = "", child_ns[64] = "";
      for (int tries = 0; tries < 100000 && strcmp(self_ns, child_ns) == 0; tries++) {
        readlink("/proc/self/ns/user", self_ns, sizeof(self_ns) - 1);
        readlink(path, child_ns, sizeof(child_ns) - 1);
        usleep(100);
      }
      snprintf(path, sizeof(path), "/proc/%d/uid_map", setup);
      int ok = write_proc(path, idmap) == 0;
      snprintf(path, sizeof(path), "/proc/%d/gid_map", setup);
      ok = ok && write_proc(path, idmap) == 0;
      if (!ok)
        fprintf(stderr, "rootfs_probe: user namespace maps: %s\n", strerror(errno));
      if (write(sync[1], ok ? "1" : "0", 1) != 1)
        ok = 0;
      close(sync[1]);
      int st;
      while (waitpid(setup, &st, 0) < 0)
        if (errno != EINTR)
          return 125;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    close(sync[1]);
  }
  if (unshare(flags | (userns ? CLONE_NEWUSER : 0)) < 0) {
    fprintf(stderr, "rootfs_probe: unshare: %s\n", strerror(errno));
    return 125;
  }
  if (userns) {
    char go = '0';
    if (read(sync[0], &go, 1) != 1 || go != '1')
      return 125;
    close(sync[0]);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      return 125;
  }
  pid_t pid = fork();
  if (pid < 0)
    return 125;
  if (pid == 0) {
    bottle_error_t err = {0};
    if (rootfs_mount(&o, &err) < 0 || rootfs_pivot_root(&o, &err) < 0)
      _exit(die(&err));
    int master = console ? open_console() : -2;
    if (master == -1)
      _exit(125);
    if (rootfs_finalize(&o, &err) < 0)
      _exit(die(&err));
    char **cmd = argv + i + 3;
    execvp(cmd[0], cmd);
    fprintf(stderr, "rootfs_probe: exec %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* runtime/cgroup on a pure cgroup v2 view: in a private mount namespace the
 * v1 hierarchies are detached and cgroup2 is mounted at /sys/fs/cgroup, so
 * the module takes its v2 paths (cgroup.freeze, the eBPF device filter,
 * cgroup.procs of the unified tree) against the real kernel. Resource
 * controllers stay bound to v1 on a hybrid host, so only controller-free v2
 * features are checked here. Needs root. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"

static char top[128];
static struct cgroup *live_cg;
static pid_t live_child = -1;
static char root_subtree_before[512];

#include "tests/unit/unit.h"

static const char *errmsg(const bottle_error_t *e)
{
  return e->set ? e->msg : "(no error)";
}

/* Creating enables every available controller on the way down; put the
 * root's subtree_control back so a later v1 mount of e.g. hugetlb works. */
static void restore_root_subtree(void)
{
  cleanup_free char *now = read_file("/sys/fs/cgroup/cgroup.subtree_control");
  for (char *save = NULL, *c = now ? strtok_r(now, " ", &save) : NULL; c;
       c = strtok_r(NULL, " ", &save)) {
    char padded[600], word[80];
    snprintf(padded, sizeof(padded), " %s ", root_subtree_before);
    snprintf(word, sizeof(word), " %s ", c);
    if (strstr(padded, word))
      continue;
    int fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      char minus[80];
      int len = snprintf(minus, sizeof(minus), "-%s", c);
      if (write(fd, minus, (size_t)len) < 0)
        printf("# could not disable %s at the root: %s\n", c, strerror(errno));
      close(fd);
    }
  }
}

static void cleanup_everything(void)
{
  if (live_child > 0) {
    kill(live_child, SIGKILL);
    waitpid(live_child, NULL, 0);
    live_child = -1;
  }
  if (live_cg) {
    bottle_error_t e = {0};
    cgroup_signal_all(live_cg, SIGKILL, &e);
    berr_clear(&e);
    cgroup_destroy(live_cg, &e);
    berr_clear(&e);
    cgroup_free(live_cg);
    live_cg = NULL;
  }
  char p[256];
  snprintf(p, sizeof(p), "/sys/fs/cgroup%s", top);
  rmdir(p);
  restore_root_subtree();
}

/* Child: waits for "go", opens /dev/null (allowed) and /dev/kmsg (not in any
 * rule), reports both errnos, then sleeps until killed. */
static pid_t spawn_prober(int go_rd, int report_wr)
{
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  char c;
  if (read(go_rd, &c, 1) != 1)
    _exit(2);
  int res[2];
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  res[0] = fd >= 0 ? 0 : errno;
  fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  res[1] = fd >= 0 ? 0 : errno;
  if (write(report_wr, res, sizeof(res)) != sizeof(res))
    _exit(3);
  for (;;)
    pause();
}

static int setup_v2_view(void)
{
  if (unshare(CLONE_NEWNS) < 0)
    return -1;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  if (umount2("/sys/fs/cgroup", MNT_DETACH) < 0 && errno != EINVAL)
    return -1;
  return mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
}

int main(void)
{
  if (geteuid() != 0) {
    printf("skipped: needs root\n");
    return 77;
  }
  if (setup_v2_view() < 0) {
    printf("skipped: cannot mount a cgroup2-only view: %s\n", strerror(errno));
    return 77;
  }
  {
    cleanup_free char *sub = read_file("/sys/fs/cgroup/cgroup.subtree_control");
    snprintf(root_subtree_before, sizeof(root_subtree_before), "%s", sub ? sub : "");
  }
  snprintf(top, sizeof(top), "/bottle-test-v2-%d", (int)getpid());
  atexit(cleanup_everything);

  bottle_error_t err = {0};
  char path[160];
  snprintf(path, sizeof(path), "%s/c", top);
  cleanup_cjson cJSON *res =
      cJSON_Parse("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}],"
                  "\"memory\":{\"limit\":0},\"pids\":{\"limit\":0}}");
  int rc = cgroup_create("c", path, false, res, &live_cg, &err);
  CHECK(rc == 0, "create on a pure v2 view with device rules (eBPF): %s", errmsg(&err));
  berr_clear(&err);
  if (rc != 0)
    return 1;
  {
    cleanup_cjson cJSON *j = cgroup_to_json(live_cg);
    const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(j, "mode"));
    CHECK(mode && strcmp(mode, "v2") == 0, "mode is v2 (%s)", mode ? mode : "?");
  }

  int go[2], report[2];
  if (pipe(go) < 0 || pipe(report) < 0)
    abort();
  live_child = spawn_prober(go[0], report[1]);
  rc = cgroup_enter(live_cg, live_child, &err);
  CHECK(rc == 0, "enter: %s", errmsg(&err));
  berr_clear(&err);
  {
    cleanup_free char *pcg = read_file("/proc/%d/cgroup", (int)live_child);
    char want[200];
    snprintf(want, sizeof(want), "0::%s/c", top);
    CHECK(pcg && strstr(pcg, want), "/proc/pid/cgroup shows %s", want);
  }
  if (write(go[1], "g", 1) != 1)
    abort();
  int probe[2] = {-1, -1};
  CHECK(read(report[0], probe, sizeof(probe)) == sizeof(probe), "prober reported");
  CHECK(probe[0] == 0, "allowed device c 1:3 opens (errno %d)", probe[0]);
  CHECK(probe[1] == EPERM, "unlisted device /dev/kmsg denied by the BPF filter (errno %d)",
        probe[1]);

  rc = cgroup_freeze(live_cg, true, &err);
  cleanup_free char *events = read_file("/sys/fs/cgroup%s/c/cgroup.events", top);
  CHECK(rc == 0 && cgroup_is_frozen(live_cg) && events && strstr(events, "frozen 1"),
        "cgroup.freeze: frozen 1 (%s)", errmsg(&err));
  berr_clear(&err);
  rc = cgroup_freeze(live_cg, false, &err);
  CHECK(rc == 0 && !cgroup_is_frozen(live_cg), "thawed: %s", errmsg(&err));
  berr_clear(&err);

  {
    cleanup_cjson cJSON *stats = cgroup_stats(live_cg, &err);
    CHECK(stats && cJSON_GetObjectItem(stats, "cpu") && cJSON_GetObjectItem(stats, "memory") &&
              cJSON_GetObjectItem(stats, "pids"),
          "v2 stats object: %s", errmsg(&err));
    berr_clear(&err);
  }
  {
    cleanup_cjson cJSON *up = cJSON_Parse("{\"cpu\":{\"shares\":0},\"memory\":{\"limit\":0}}");
    rc = cgroup_update(live_cg, up, &err);
    CHECK(rc == 0, "v2 update with zeros touches nothing: %s", errmsg(&err));
    berr_clear(&err);
  }

  pid_t *pids = NULL;
  size_t n = 0;
  rc = cgroup_pids(live_cg, &pids, &n, &err);
  CHECK(rc == 0 && n == 1 && pids[0] == live_child, "pids lists the prober");
  free(pids);
  berr_clear(&err);

  rc = cgroup_freeze(live_cg, true, &err);
  berr_clear(&err);
  rc = cgroup_signal_all(live_cg, SIGKILL, &err);
  int status = 0;
  CHECK(rc == 0 && waitpid(live_child, &status, 0) == live_child && WIFSIGNALED(status),
        "SIGKILL reaches a frozen v2 cgroup: %s", errmsg(&err));
  live_child = -1;
  berr_clear(&err);
  rc = cgroup_destroy(live_cg, &err);
  char dir[256];
  snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s/c", top);
  CHECK(rc == 0 && access(dir, F_OK) != 0, "destroy removes %s: %s", dir, errmsg(&err));
  berr_clear(&err);
  cgroup_free(live_cg);
  live_cg = NULL;

  /* a device rule that BPF cannot express is refused with the field named */
  cleanup_cjson cJSON *bad = cJSON_Parse("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}");
  struct cgroup *cg = NULL;
  snprintf(path, sizeof(path), "%s/bad", top);
  rc = cgroup_create("bad", path, false, bad, &cg, &err);
  CHECK(rc != 0 && strstr(errmsg(&err), "linux.resources.devices"), "bad access refused: %s",
        errmsg(&err));
  berr_clear(&err);

  cleanup_everything();
  return unit_finish();
}

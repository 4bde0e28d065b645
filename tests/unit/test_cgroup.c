/* runtime/cgroup: create a real cgroup on this host (v1, v2 or hybrid), put a
 * process in it and check what the kernel reports. Needs root. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"

static char top[128];          /* unique parent cgroup path of this run, e.g. /bottle-test-123 */
static struct cgroup *live_cg; /* destroyed on exit, even after a failure */
static pid_t live_child = -1;

#include "tests/unit/unit.h"

static bool path_exists(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0;
}

static const char *errmsg(const bottle_error_t *e)
{
  return e->set ? e->msg : "(no error)";
}

/* Where the v1 hierarchy of `ctrl` is mounted, or the v2 mount when ctrl is "". */
static bool v1_mounted(const char *ctrl)
{
  char p[256];
  snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/cgroup.procs", ctrl);
  return path_exists(p);
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
  /* the per-run parent in every mounted hierarchy */
  DIR *d = opendir("/sys/fs/cgroup");
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    char p[512];
    if (de->d_name[0] == '.')
      continue;
    snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s", de->d_name, top);
    rmdir(p);
  }
  if (d)
    closedir(d);
}

/* The child: waits for "go", forks `tries` sleepers, reports how many forks
 * succeeded and how many failed with EAGAIN, then sleeps until killed. */
static pid_t spawn_forker(int go_fd_read, int report_fd_write, int tries)
{
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  char c;
  if (read(go_fd_read, &c, 1) != 1)
    _exit(2);
  int ok = 0, eagain = 0;
  for (int i = 0; i < tries; i++) {
    pid_t g = fork();
    if (g == 0) {
      pause();
      _exit(0);
    }
    if (g > 0)
      ok++;
    else if (errno == EAGAIN)
      eagain++;
  }
  int report[2] = {ok, eagain};
  if (write(report_fd_write, report, sizeof(report)) != sizeof(report))
    _exit(3);
  for (;;)
    pause();
}

static cJSON *parse(const char *s)
{
  cJSON *j = cJSON_Parse(s);
  if (j == NULL) {
    fprintf(stderr, "bad test JSON: %s\n", s);
    exit(1);
  }
  return j;
}

static bool file_is(const char *dir_ctrl, const char *file, const char *want)
{
  cleanup_free char *got = NULL;
  got = read_file("/sys/fs/cgroup/%s%s/cgtest/%s", dir_ctrl, top, file);
  bool same = got && strcmp(got, want) == 0;
  if (!same)
    printf("# %s/%s: want \"%s\", got \"%s\"\n", dir_ctrl, file, want, got ? got : "(unreadable)");
  return same;
}

static void test_v1_lifecycle(void)
{
  bottle_error_t err = {0};
  bool memsw = path_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
  char path[160];
  snprintf(path, sizeof(path), "%s/cgtest", top);
  cleanup_cjson cJSON *res =
      parse("{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432},"
            "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},"
            "\"pids\":{\"limit\":8},"
            "\"blockIO\":{\"weight\":0},"
            "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
            "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
  int rc = cgroup_create("cgtest", path, false, res, &live_cg, &err);
  CHECK(rc == 0, "cgroup_create %s: %s", path, errmsg(&err));
  if (rc != 0)
    return;
  CHECK(file_is("memory", "memory.limit_in_bytes", "67108864"), "memory.limit -> limit_in_bytes");
  CHECK(file_is("memory", "memory.soft_limit_in_bytes", "33554432"),
        "memory.reservation -> soft_limit_in_bytes");
  if (memsw)
    CHECK(file_is("memory", "memory.memsw.limit_in_bytes", "134217728"),
          "memory.swap -> memsw.limit_in_bytes");
  CHECK(file_is("pids", "pids.max", "8"), "pids.limit -> pids.max");
  CHECK(file_is("cpu", "cpu.shares", "512"), "cpu.shares");
  CHECK(file_is("cpu", "cpu.cfs_quota_us", "50000"), "cpu.quota");
  CHECK(file_is("cpu", "cpu.cfs_period_us", "100000"), "cpu.period");
  {
    cleanup_free char *parent_cpus = read_file("/sys/fs/cgroup/cpuset%s/cpuset.cpus", top);
    cleanup_free char *root_cpus = read_file("/sys/fs/cgroup/cpuset/cpuset.cpus");
    CHECK(parent_cpus && root_cpus && strcmp(parent_cpus, root_cpus) == 0,
          "new intermediate cpuset dir inherits cpuset.cpus (%s)", parent_cpus ? parent_cpus : "?");
    CHECK(file_is("cpuset", "cpuset.mems", "0"), "leaf cpuset.mems inherited");
  }
  {
    cleanup_free char *list = read_file("/sys/fs/cgroup/devices%s/cgtest/devices.list", top);
    CHECK(list && strstr(list, "c 1:3 rwm") && strstr(list, "c 136:* rwm") &&
              strstr(list, "c 5:2 rwm") && strstr(list, "c *:* m") && !strstr(list, "a *:* rwm"),
          "devices: deny all, spec rule, runc defaults (pts, ptmx)");
    if (list && strstr(list, "a *:* rwm"))
      printf("# devices.list:\n%s\n", list);
  }

  int go[2], report[2];
  if (pipe(go) < 0 || pipe(report) < 0)
    abort();
  live_child = spawn_forker(go[0], report[1], 20);
  rc = cgroup_enter(live_cg, live_child, &err);
  CHECK(rc == 0, "cgroup_enter %d: %s", (int)live_child, errmsg(&err));
  berr_clear(&err);
  {
    cleanup_free char *pcg = read_file("/proc/%d/cgroup", (int)live_child);
    char want[200];
    snprintf(want, sizeof(want), ":memory:%s/cgtest\n", top);
    CHECK(pcg && strstr(pcg, want), "/proc/pid/cgroup shows memory in the container cgroup");
    snprintf(want, sizeof(want), ":pids:%s/cgtest\n", top);
    CHECK(pcg && strstr(pcg, want), "/proc/pid/cgroup shows pids in the container cgroup");
    snprintf(want, sizeof(want), ":name=systemd:%s/cgtest\n", top);
    if (v1_mounted("systemd"))
      CHECK(pcg && strstr(pcg, want), "name=systemd hierarchy joined too");
    snprintf(want, sizeof(want), "0::%s/cgtest", top);
    if (v1_mounted("unified"))
      CHECK(pcg && strstr(pcg, want), "hybrid: unified hierarchy joined too");
  }
  if (write(go[1], "g", 1) != 1)
    abort();
  int counts[2] = {-1, -1};
  CHECK(read(report[0], counts, sizeof(counts)) == sizeof(counts), "forker reported");
  CHECK(counts[0] == 7 && counts[1] == 13,
        "pids.max=8 bounds a fork bomb: %d forks succeeded, %d got EAGAIN", counts[0], counts[1]);
  close(go[0]);
  close(go[1]);
  close(report[0]);
  close(report[1]);

  pid_t *pids = NULL;
  size_t n = 0;
  rc = cgroup_pids(live_cg, &pids, &n, &err);
  bool has_child = false, sorted = true;
  for (size_t i = 0; i < n; i++) {
    has_child |= pids[i] == live_child;
    if (i > 0 && pids[i - 1] >= pids[i])
      sorted = false;
  }
  CHECK(rc == 0 && n == 8 && has_child && sorted, "cgroup_pids: %zu sorted pids incl. the child",
        n);
  free(pids);

  rc = cgroup_freeze(live_cg, true, &err);
  CHECK(rc == 0 && cgroup_is_frozen(live_cg), "freeze: %s", errmsg(&err));
  berr_clear(&err);
  if (v1_mounted("freezer"))
    CHECK(file_is("freezer", "freezer.state", "FROZEN"), "v1 freezer.state FROZEN");
  {
    cleanup_free char *st = read_file("/proc/%d/stat", (int)live_child);
    (void)st;
  }
  rc = cgroup_freeze(live_cg, false, &err);
  CHECK(rc == 0 && !cgroup_is_frozen(live_cg), "thaw: %s", errmsg(&err));
  berr_clear(&err);
  if (v1_mounted("freezer"))
    CHECK(file_is("freezer", "freezer.state", "THAWED"), "v1 freezer.state THAWED");

  /* update: Docker's all-zero shape changes only what is non-zero */
  {
    cleanup_cjson cJSON *up = parse("{\"blockIO\":{\"weight\":0},\"cpu\":{\"shares\":0,\"quota\":0,"
                                    "\"period\":0},\"memory\":{\"limit\":0,\"reservation\":0,"
                                    "\"kernel\":0},\"pids\":null}");
    rc = cgroup_update(live_cg, up, &err);
    CHECK(rc == 0, "update with zeros and a null: %s", errmsg(&err));
    berr_clear(&err);
    CHECK(file_is("memory", "memory.limit_in_bytes", "67108864") &&
              file_is("cpu", "cpu.shares", "512") && file_is("cpu", "cpu.cfs_quota_us", "50000") &&
              file_is("pids", "pids.max", "8"),
          "zeros left memory, shares, quota and pids alone");
  }
  {
    cleanup_cjson cJSON *up = parse("{\"cpu\":{\"quota\":20000}}");
    rc = cgroup_update(live_cg, up, &err);
    CHECK(rc == 0 && file_is("cpu", "cpu.cfs_quota_us", "20000") &&
              file_is("cpu", "cpu.cfs_period_us", "100000"),
          "quota alone changes only the quota: %s", errmsg(&err));
    berr_clear(&err);
  }
  if (memsw) {
    /* growing: memsw must be raised before the limit */
    cleanup_cjson cJSON *grow = parse("{\"memory\":{\"limit\":268435456,\"swap\":402653184}}");
    rc = cgroup_update(live_cg, grow, &err);
    CHECK(rc == 0 && file_is("memory", "memory.limit_in_bytes", "268435456") &&
              file_is("memory", "memory.memsw.limit_in_bytes", "402653184"),
          "grow memory above the old memsw: %s", errmsg(&err));
    berr_clear(&err);
    cleanup_cjson cJSON *shrink = parse("{\"memory\":{\"limit\":50331648,\"swap\":58720256}}");
    rc = cgroup_update(live_cg, shrink, &err);
    CHECK(rc == 0 && file_is("memory", "memory.limit_in_bytes", "50331648") &&
              file_is("memory", "memory.memsw.limit_in_bytes", "58720256"),
          "shrink memsw below the old limit: %s", errmsg(&err));
    berr_clear(&err);
  }
  {
    cleanup_cjson cJSON *up = parse("{\"memory\":{\"limit\":0},\"pids\":{\"limit\":-1}}");
    rc = cgroup_update(live_cg, up, &err);
    CHECK(rc == 0 && file_is("pids", "pids.max", "max"), "pids -1 -> max: %s", errmsg(&err));
    berr_clear(&err);
  }
  {
    cleanup_cjson cJSON *up = parse("{\"memory\":{\"swappiness\":101}}");
    rc = cgroup_update(live_cg, up, &err);
    CHECK(rc != 0 && strstr(errmsg(&err), "swappiness"), "bad swappiness named: %s", errmsg(&err));
    berr_clear(&err);
  }

  /* stats */
  {
    /* counters are raw literals: read them back the way a client would */
    cleanup_cjson cJSON *raw = cgroup_stats(live_cg, &err);
    CHECK(raw != NULL, "stats: %s", errmsg(&err));
    cleanup_free char *printed = raw ? cJSON_PrintUnformatted(raw) : NULL;
    cleanup_cjson cJSON *stats = printed ? cJSON_Parse(printed) : NULL;
    CHECK(stats != NULL, "stats print as valid JSON");
    berr_clear(&err);
    cJSON *mem = cJSON_GetObjectItem(stats, "memory");
    cJSON *usage = cJSON_GetObjectItem(mem, "usage");
    cJSON *pidsj = cJSON_GetObjectItem(stats, "pids");
    cJSON *cpu = cJSON_GetObjectItem(cJSON_GetObjectItem(stats, "cpu"), "usage");
    CHECK(cJSON_GetObjectItem(usage, "usage") && cJSON_GetObjectItem(usage, "limit") &&
              cJSON_GetObjectItem(mem, "raw") &&
              cJSON_GetObjectItem(cJSON_GetObjectItem(mem, "raw"), "rss"),
          "stats.memory has usage/limit and the raw map with rss");
    CHECK(cJSON_GetObjectItem(pidsj, "current") &&
              cJSON_GetObjectItem(pidsj, "current")->valuedouble == 8,
          "stats.pids.current == 8");
    CHECK(cpu && cJSON_GetObjectItem(cpu, "total") && cJSON_GetObjectItem(cpu, "percpu"),
          "stats.cpu.usage total and percpu");
    CHECK(cJSON_GetObjectItem(stats, "blkio") != NULL, "stats.blkio present");
    CHECK(printed && !strstr(printed, "e+"), "counters print as exact integers");
    if (getenv("CGTEST_VERBOSE"))
      printf("# %s\n", printed);
  }

  /* persistence round trip: the loaded handle drives the same cgroup */
  {
    cleanup_cjson cJSON *saved = cgroup_to_json(live_cg);
    struct cgroup *loaded = NULL;
    rc = cgroup_from_json(saved, &loaded, &err);
    CHECK(rc == 0, "from_json: %s", errmsg(&err));
    berr_clear(&err);
    if (rc == 0) {
      cleanup_cjson cJSON *again = cgroup_to_json(loaded);
      CHECK(cJSON_Compare(saved, again, 1), "to_json(from_json(x)) == x");
      pid_t *lp = NULL;
      size_t ln = 0;
      CHECK(cgroup_pids(loaded, &lp, &ln, &err) == 0 && ln == 8, "loaded handle lists 8 pids");
      free(lp);
      berr_clear(&err);
      CHECK(cgroup_freeze(loaded, true, &err) == 0 && cgroup_is_frozen(live_cg),
            "loaded handle freezes");
      berr_clear(&err);
      /* SIGKILL on a frozen cgroup: everything dies and it is thawed */
      rc = cgroup_signal_all(loaded, SIGKILL, &err);
      CHECK(rc == 0 && !cgroup_is_frozen(loaded), "signal_all KILL on a paused cgroup thaws: %s",
            errmsg(&err));
      berr_clear(&err);
      int status = 0;
      CHECK(waitpid(live_child, &status, 0) == live_child && WIFSIGNALED(status) &&
                WTERMSIG(status) == SIGKILL,
            "child killed by SIGKILL");
      live_child = -1;
      rc = cgroup_destroy(loaded, &err);
      CHECK(rc == 0, "destroy through the loaded handle: %s", errmsg(&err));
      berr_clear(&err);
      cgroup_free(loaded);
    }
  }
  char dir[256];
  snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory%s/cgtest", top);
  CHECK(!path_exists(dir), "memory dir removed");
  snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids%s/cgtest", top);
  CHECK(!path_exists(dir), "pids dir removed");
  rc = cgroup_destroy(live_cg, &err);
  CHECK(rc == 0, "destroy is idempotent: %s", errmsg(&err));
  berr_clear(&err);
  cgroup_free(live_cg);
  live_cg = NULL;
}

static void test_paths(void)
{
  bottle_error_t err = {0};
  struct cgroup *cg = NULL;

  int rc = cgroup_create("x", "slice:prefix:name", true, NULL, &cg, &err);
  CHECK(rc != 0 && strstr(errmsg(&err), "cgroupfs"), "systemd driver refused clearly: %s",
        errmsg(&err));
  berr_clear(&err);

  rc = cgroup_create("x", "/../..", false, NULL, &cg, &err);
  CHECK(rc != 0 && strstr(errmsg(&err), "cgroupsPath"), "root cgroup refused: %s", errmsg(&err));
  berr_clear(&err);

  /* empty path: /bottle/<id> */
  char id[64];
  snprintf(id, sizeof(id), "cgtest-empty-%d", (int)getpid());
  rc = cgroup_create(id, "", false, NULL, &cg, &err);
  CHECK(rc == 0, "create with an empty cgroupsPath: %s", errmsg(&err));
  berr_clear(&err);
  if (rc == 0) {
    cleanup_cjson cJSON *j = cgroup_to_json(cg);
    char want[128];
    snprintf(want, sizeof(want), "/bottle/%s", id);
    const char *got = cJSON_GetStringValue(cJSON_GetObjectItem(j, "path"));
    CHECK(got && strcmp(got, want) == 0, "empty cgroupsPath -> %s (got %s)", want, got);
    if (v1_mounted("devices")) {
      cleanup_free char *list = read_file("/sys/fs/cgroup/devices/bottle/%s/devices.list", id);
      CHECK(list && !strstr(list, "a *:* rwm") && strstr(list, "c 1:3 rwm"),
            "no linux.resources: devices still deny-all plus runc's defaults, like runc");
    }
    CHECK(cgroup_destroy(cg, &err) == 0, "destroy: %s", errmsg(&err));
    berr_clear(&err);
    cgroup_free(cg);
    cg = NULL;
  }

  /* relative: joined to the runtime's own cgroup in each hierarchy */
  char rel[160];
  snprintf(rel, sizeof(rel), "cgtest-rel-%d/./x/../c", (int)getpid());
  rc = cgroup_create("c", rel, false, NULL, &cg, &err);
  CHECK(rc == 0, "create with a relative cgroupsPath: %s", errmsg(&err));
  berr_clear(&err);
  if (rc == 0) {
    cleanup_cjson cJSON *j = cgroup_to_json(cg);
    const char *mem =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "paths"), "memory"));
    cleanup_free char *self = read_file("/proc/self/cgroup");
    char *line = self ? strstr(self, ":memory:") : NULL;
    char own[512] = "";
    if (line)
      sscanf(line + 8, "%511[^\n]", own);
    char want[800];
    snprintf(want, sizeof(want), "/sys/fs/cgroup/memory%s/cgtest-rel-%d/c",
             strcmp(own, "/") == 0 ? "" : own, (int)getpid());
    if (mem)
      CHECK(strcmp(mem, want) == 0, "relative path below our own memory cgroup: %s", mem);
    CHECK(cgroup_destroy(cg, &err) == 0, "destroy: %s", errmsg(&err));
    berr_clear(&err);
    cgroup_free(cg);
    cg = NULL;
    if (mem) {
      char parent[800];
      snprintf(parent, sizeof(parent), "/sys/fs/cgroup/memory%s/cgtest-rel-%d",
               strcmp(own, "/") == 0 ? "" : own, (int)getpid());
      /* destroy removes the leaf only: remove the parent made for this test
       * in every hierarchy, found from the saved leaf paths */
      const cJSON *leaf;
      cJSON_ArrayForEach(leaf, cJSON_GetObjectItem(j, "paths"))
      {
        char p[1024];
        snprintf(p, sizeof(p), "%s", cJSON_GetStringValue(leaf));
        char *slash = strrchr(p, '/');
        if (slash)
          *slash = '\0';
        rmdir(p);
      }
      CHECK(!path_exists(parent), "relative test parent removed");
    }
  }

  /* wrong types are named, on create and on update */
  {
    char p2[160];
    snprintf(p2, sizeof(p2), "%s/typed", top);
    cleanup_cjson cJSON *typed = parse("{\"memory\":{\"limit\":\"100M\"}}");
    rc = cgroup_create("typed", p2, false, typed, &cg, &err);
    CHECK(rc != 0 && strstr(errmsg(&err), "linux.resources.memory.limit must be a number"),
          "string memory limit refused: %s", errmsg(&err));
    berr_clear(&err);
    cleanup_cjson cJSON *typed2 =
        parse("{\"devices\":[{\"allow\":\"yes\"}],\"pids\":null,\"cpu\":{\"cpus\":3}}");
    rc = cgroup_create("typed", p2, false, typed2, &cg, &err);
    CHECK(rc != 0 && strstr(errmsg(&err), "linux.resources.cpu.cpus must be a string"),
          "numeric cpus refused: %s", errmsg(&err));
    berr_clear(&err);
  }

  /* hugetlb: v1 hierarchy when mounted */
  if (v1_mounted("hugetlb") && path_exists("/sys/fs/cgroup/hugetlb/hugetlb.2MB.limit_in_bytes")) {
    char p2[160];
    snprintf(p2, sizeof(p2), "%s/huge", top);
    cleanup_cjson cJSON *huge = parse("{\"hugepageLimits\":[{\"pageSize\":\"2MB\","
                                      "\"limit\":4194304}]}");
    rc = cgroup_create("huge", p2, false, huge, &cg, &err);
    cleanup_free char *v =
        read_file("/sys/fs/cgroup/hugetlb%s/huge/hugetlb.2MB.limit_in_bytes", top);
    CHECK(rc == 0 && v && strcmp(v, "4194304") == 0, "hugepageLimits 2MB -> %s: %s", v ? v : "?",
          errmsg(&err));
    berr_clear(&err);
    if (rc == 0) {
      cleanup_cjson cJSON *bad_size =
          parse("{\"hugepageLimits\":[{\"pageSize\":\"3MB\",\"limit\":1}]}");
      rc = cgroup_update(cg, bad_size, &err);
      CHECK(rc != 0 && strstr(errmsg(&err), "3MB"), "unsupported page size named: %s",
            errmsg(&err));
      berr_clear(&err);
      cgroup_destroy(cg, &err);
      berr_clear(&err);
      cgroup_free(cg);
      cg = NULL;
    }
  }

  /* bad resources fail create and leave nothing behind */
  char bad[160];
  snprintf(bad, sizeof(bad), "%s/bad", top);
  cleanup_cjson cJSON *res = parse("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}");
  rc = cgroup_create("bad", bad, false, res, &cg, &err);
  CHECK(rc != 0 && strstr(errmsg(&err), "devices"), "bad device type refused: %s", errmsg(&err));
  berr_clear(&err);
  char dir[256];
  snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory%s/bad", top);
  CHECK(!path_exists(dir), "failed create removed its directories");
}

/* A process that outgrows memory.limit is OOM-killed and counted. */
static void test_oom(void)
{
  bottle_error_t err = {0};
  char path[160];
  snprintf(path, sizeof(path), "%s/oom", top);
  bool memsw = path_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
  cleanup_cjson cJSON *res = parse(memsw ? "{\"memory\":{\"limit\":16777216,\"swap\":16777216}}"
                                         : "{\"memory\":{\"limit\":16777216}}");
  struct cgroup *cg = NULL;
  int rc = cgroup_create("oom", path, false, res, &cg, &err);
  CHECK(rc == 0, "create oom cgroup: %s", errmsg(&err));
  berr_clear(&err);
  if (rc != 0)
    return;
  unsigned long long before = 99;
  CHECK(cgroup_oom_kills(cg, &before, &err) == 0 && before == 0, "no OOM kill yet (%llu)", before);
  int go[2];
  if (pipe(go) < 0)
    abort();
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    if (read(go[0], &c, 1) != 1)
      _exit(2);
    for (int i = 0; i < 256; i++) {
      char *m = malloc(1 << 20);
      if (m == NULL)
        _exit(3);
      memset(m, i, 1 << 20);
    }
    _exit(0);
  }
  live_child = pid;
  rc = cgroup_enter(cg, pid, &err);
  berr_clear(&err);
  if (write(go[1], "g", 1) != 1)
    abort();
  int status = 0;
  waitpid(pid, &status, 0);
  live_child = -1;
  close(go[0]);
  close(go[1]);
  CHECK(rc == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
        "allocating 256 MiB under a 16 MiB limit gets OOM-killed");
  unsigned long long after = 0;
  CHECK(cgroup_oom_kills(cg, &after, &err) == 0 && after >= 1, "cgroup_oom_kills counts it (%llu)",
        after);
  berr_clear(&err);
  CHECK(cgroup_destroy(cg, &err) == 0, "destroy oom cgroup: %s", errmsg(&err));
  berr_clear(&err);
  cgroup_free(cg);
}

int main(void)
{
  if (geteuid() != 0) {
    printf("skipped: needs root\n");
    return 77;
  }
  if (!path_exists("/sys/fs/cgroup/memory/cgroup.procs")) {
    /* The checks below read v1 files by name. */
    printf("skipped: this test expects a v1 or hybrid host (no /sys/fs/cgroup/memory)\n");
    return 77;
  }
  snprintf(top, sizeof(top), "/bottle-test-%d", (int)getpid());
  atexit(cleanup_everything);
  signal(SIGPIPE, SIG_IGN);
  test_v1_lifecycle();
  test_paths();
  test_oom();
  cleanup_everything();
  return unit_finish();
}

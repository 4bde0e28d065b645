/* runtime/cgroup's v2 resource conversions (runc's formulas) written into a
 * fake cgroup v2 directory of plain files: the controllers themselves are
 * bound to v1 on a hybrid host, so this is where memory.max, memory.swap.max,
 * cpu.weight, cpu.max, io.weight and io.max get checked. No root needed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"

static char dir[256];

#include "tests/unit/unit.h"

static const char *const files[] = {
    "memory.max",  "memory.low",  "memory.swap.max", "memory.high", "cpu.weight", "cpu.max",
    "cpuset.cpus", "cpuset.mems", "pids.max",        "io.weight",   "io.max",     "hugetlb.2MB.max",
};

static void put(const char *file, const char *content)
{
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", dir, file);
  FILE *f = fopen(p, "we");
  if (f == NULL || fputs(content, f) < 0 || fclose(f) != 0) {
    perror(p);
    exit(1);
  }
}

/* Every file emptied (plain files do not truncate on write like cgroup
 * files, so tests only write into empty ones), cpu.max at the kernel's
 * default. */
static void reset(void)
{
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    put(files[i], "");
  put("cpu.max", "max 100000\n");
}

static bool is(const char *file, const char *want)
{
  char p[512], got[256] = "";
  snprintf(p, sizeof(p), "%s/%s", dir, file);
  FILE *f = fopen(p, "re");
  if (f) {
    size_t n = fread(got, 1, sizeof(got) - 1, f);
    got[n] = '\0';
    fclose(f);
  }
  got[strcspn(got, "\n")] = '\0';
  if (strcmp(got, want) != 0)
    printf("# %s: want \"%s\", got \"%s\"\n", file, want, got);
  return strcmp(got, want) == 0;
}

static int update(struct cgroup *cg, const char *json, bottle_error_t *err)
{
  cleanup_cjson cJSON *res = cJSON_Parse(json);
  if (res == NULL) {
    fprintf(stderr, "bad test JSON %s\n", json);
    exit(1);
  }
  return cgroup_update(cg, res, err);
}

static void cleanup(void)
{
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
    unlink(p);
  }
  rmdir(dir);
  char *slash = strrchr(dir, '/');
  if (slash) {
    *slash = '\0';
    rmdir(dir);
  }
}

int main(void)
{
  char base[] = "/tmp/cgroup-v2-files.XXXXXX";
  if (mkdtemp(base) == NULL)
    return 1;
  snprintf(dir, sizeof(dir), "%s/c", base);
  if (mkdir(dir, 0755) < 0)
    return 1;
  atexit(cleanup);
  reset();

  /* A saved v2 state pointing at the fake directory. */
  cleanup_cjson cJSON *saved = cJSON_CreateObject();
  cJSON_AddNumberToObject(saved, "version", 1);
  cJSON_AddStringToObject(saved, "path", "/c");
  cJSON_AddStringToObject(saved, "mode", "v2");
  cJSON *paths = cJSON_AddObjectToObject(saved, "paths");
  cJSON_AddStringToObject(paths, "", dir);
  struct cgroup *cg = NULL;
  bottle_error_t err = {0};
  int rc = cgroup_from_json(saved, &cg, &err);
  CHECK(rc == 0, "load a v2 cgroup: %s", err.set ? err.msg : "");
  if (rc != 0)
    return 1;

  rc = update(cg,
              "{\"memory\":{\"limit\":104857600,\"swap\":209715200,\"reservation\":52428800},"
              "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0\","
              "\"mems\":\"0\"},\"pids\":{\"limit\":100},"
              "\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
              "\"rate\":1048576}]},"
              "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
              "\"unified\":{\"memory.high\":\"90000000\"}}",
              &err);
  CHECK(rc == 0, "full update: %s", err.set ? err.msg : "");
  berr_clear(&err);
  CHECK(is("memory.max", "104857600"), "memory.limit -> memory.max");
  CHECK(is("memory.swap.max", "104857600"), "swap (memory+swap) -> memory.swap.max = swap - limit");
  CHECK(is("memory.low", "52428800"), "reservation -> memory.low");
  CHECK(is("cpu.weight", "39"), "shares 1024 -> cpu.weight 39 (runc's formula)");
  CHECK(is("cpu.max", "50000 100000"), "quota/period -> cpu.max");
  CHECK(is("cpuset.cpus", "0") && is("cpuset.mems", "0"), "cpus/mems -> cpuset.*");
  CHECK(is("pids.max", "100"), "pids.limit -> pids.max");
  CHECK(is("io.weight", "4950"), "blkio weight 500 -> io.weight 4950 (1 + (w-10)*9999/990)");
  CHECK(is("io.max", "8:0 rbps=1048576"), "throttleReadBpsDevice -> io.max rbps");
  CHECK(is("hugetlb.2MB.max", "4194304"), "hugepageLimits -> hugetlb.2MB.max");
  CHECK(is("memory.high", "90000000"), "unified map written as files");

  /* zero means unchanged, and a lone period keeps the quota */
  reset();
  put("cpu.max", "50000 100000\n");
  rc = update(cg,
              "{\"blockIO\":{\"weight\":0},\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0},"
              "\"memory\":{\"limit\":0,\"reservation\":0,\"kernel\":0},\"pids\":{\"limit\":0}}",
              &err);
  CHECK(rc == 0, "docker's all-zero update: %s", err.set ? err.msg : "");
  berr_clear(&err);
  bool untouched = true;
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    if (strcmp(files[i], "cpu.max") != 0)
      untouched &= is(files[i], "");
  CHECK(untouched && is("cpu.max", "50000 100000"), "zeros write nothing");
  put("cpu.max", "50000 100000\n");
  rc = update(cg, "{\"cpu\":{\"period\":200000}}", &err);
  CHECK(rc == 0 && is("cpu.max", "50000 200000"), "period alone keeps the quota");
  berr_clear(&err);
  put("cpu.max", "5 200000\n");
  rc = update(cg, "{\"cpu\":{\"quota\":-1}}", &err);
  CHECK(rc == 0 && is("cpu.max", "max 200000"), "quota -1 -> max, period kept");
  berr_clear(&err);

  /* unlimited */
  reset();
  rc = update(cg, "{\"memory\":{\"limit\":-1},\"pids\":{\"limit\":-1}}", &err);
  CHECK(rc == 0 && is("memory.max", "max") && is("memory.swap.max", "max") && is("pids.max", "max"),
        "-1 -> max for memory, swap (implied) and pids");
  berr_clear(&err);
  rc = update(cg, "{\"cpu\":{\"shares\":2}}", &err);
  CHECK(rc == 0 && is("cpu.weight", "1"), "shares 2 -> weight 1");
  berr_clear(&err);
  rc = update(cg, "{\"cpu\":{\"shares\":262144}}", &err);
  CHECK(rc == 0 && is("cpu.weight", "10000"), "shares 262144 -> weight 10000");
  berr_clear(&err);

  /* swap below the limit is refused, naming the field */
  rc = update(cg, "{\"memory\":{\"limit\":104857600,\"swap\":1048576}}", &err);
  CHECK(rc != 0 && err.set && strstr(err.msg, "memory.swap"), "swap < limit refused: %s",
        err.set ? err.msg : "");
  berr_clear(&err);
  /* swap with the limit already in place uses the current memory.max */
  reset();
  put("memory.max", "104857600\n");
  rc = update(cg, "{\"memory\":{\"swap\":157286400}}", &err);
  CHECK(rc == 0 && is("memory.swap.max", "52428800"), "swap alone uses the current limit: %s",
        err.set ? err.msg : "");
  berr_clear(&err);
  /* a missing control file names the undelegated controller */
  char p[512];
  snprintf(p, sizeof(p), "%s/pids.max", dir);
  unlink(p);
  rc = update(cg, "{\"pids\":{\"limit\":5}}", &err);
  CHECK(rc != 0 && err.set && strstr(err.msg, "not enabled") && strstr(err.msg, "pids"),
        "missing pids.max explained: %s", err.set ? err.msg : "");
  berr_clear(&err);
  put("pids.max", "");

  /* stats from v2 files, in runc's events --stats shape */
  reset();
  put("cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\n"
                  "nr_throttled 2\nthrottled_usec 30\n");
  put("memory.current", "4096\n");
  put("memory.max", "max\n");
  put("memory.swap.current", "1024\n");
  put("memory.swap.max", "max\n");
  put("memory.stat", "anon 2048\nfile 1024\n");
  put("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  put("pids.current", "4\n");
  put("pids.max", "64\n");
  put("io.stat", "8:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n");
  put("hugetlb.2MB.current", "0\n");
  put("hugetlb.2MB.events", "max 5\n");
  {
    cleanup_cjson cJSON *raw = cgroup_stats(cg, &err);
    cleanup_free char *text = raw ? cJSON_PrintUnformatted(raw) : NULL;
    cleanup_cjson cJSON *st = text ? cJSON_Parse(text) : NULL;
    CHECK(st != NULL, "v2 stats: %s", err.set ? err.msg : "");
    berr_clear(&err);
    printf("# %s\n", text ? text : "");
    cJSON *usage = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "cpu"), "usage");
    cJSON *thr = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "cpu"), "throttling");
    cJSON *mem = cJSON_GetObjectItem(st, "memory");
    cJSON *mu = cJSON_GetObjectItem(mem, "usage");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(usage, "total")) == 1500000 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(usage, "user")) == 1000000 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(usage, "kernel")) == 500000,
          "cpu usage in nanoseconds");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(thr, "periods")) == 7 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(thr, "throttledPeriods")) == 2 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(thr, "throttledTime")) == 30000,
          "cpu throttling");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(mu, "usage")) == 4096 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(mu, "failcnt")) == 3 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(mem, "cache")) == 1024 && text &&
              strstr(text, "\"limit\":18446744073709551615"),
          "memory usage, failcnt from memory.events max, cache = file, unlimited as max uint64");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(mem, "raw"), "anon")) ==
              2048,
          "memory.stat in raw");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "pids"), "current")) ==
                  4 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "pids"), "limit")) ==
                  64,
          "pids current/limit");
    cJSON *bytes = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "blkio"), "ioServiceBytesRecursive");
    cJSON *b0 = cJSON_GetArrayItem(bytes, 0), *b1 = cJSON_GetArrayItem(bytes, 1);
    CHECK(cJSON_GetArraySize(bytes) == 2 &&
              strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(b0, "op")), "Read") == 0 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(b0, "value")) == 100 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(b1, "value")) == 200 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(b0, "major")) == 8,
          "io.stat -> blkio ioServiceBytesRecursive Read/Write");
    cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "hugetlb"), "2MB");
    CHECK(h && cJSON_GetNumberValue(cJSON_GetObjectItem(h, "failcnt")) == 5,
          "hugetlb 2MB failcnt from events");
    unsigned long long kills = 0;
    CHECK(cgroup_oom_kills(cg, &kills, &err) == 0 && kills == 1, "oom_kill from memory.events");
    berr_clear(&err);
  }

  cgroup_free(cg);
  return unit_finish();
}

/* runc `events --stats` data ({"cpu","memory","pids","blkio","hugetlb"}) read
 * from cgroup files, in the JSON shape go-runc decodes. Counters are uint64
 * in Go: they are emitted as exact integer literals (a double would print
 * "unlimited" as 9.2233720368547758e+18, which Go refuses for a uint64). */
#include "runtime/cgroup/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"

static void add_u64(cJSON *obj, const char *key, uint64_t v)
{
  char buf[24];
  snprintf(buf, sizeof(buf), "%" PRIu64, v);
  cJSON_AddRawToObject(obj, key, buf);
}

static void push_u64(cJSON *arr, uint64_t v)
{
  char buf[24];
  snprintf(buf, sizeof(buf), "%" PRIu64, v);
  cJSON_AddItemToArray(arr, cJSON_CreateRaw(buf));
}

/* A counter file; "max" (unlimited) reads as UINT64_MAX, missing as 0. */
static uint64_t read_u64(const char *dir, const char *file)
{
  if (dir == NULL)
    return 0;
  cleanup_free char *s = cg_read(dir, file);
  if (s == NULL)
    return 0;
  if (strncmp(s, "max", 3) == 0)
    return UINT64_MAX;
  return strtoull(s, NULL, 10);
}

/* The value of `key` in a "key value" per line file (memory.stat, cpu.stat). */
static uint64_t keyed(const char *text, const char *key)
{
  size_t kl = strlen(key);
  for (const char *p = text; p && *p;) {
    if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
      return strtoull(p + kl + 1, NULL, 10);
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return 0;
}

static cJSON *keyed_map(const char *text)
{
  cJSON *m = cJSON_CreateObject();
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char key[128];
    uint64_t v;
    char fmt_line[512];
    if (len < sizeof(fmt_line)) {
      memcpy(fmt_line, p, len);
      fmt_line[len] = '\0';
      if (sscanf(fmt_line, "%127s %" SCNu64, key, &v) == 2)
        add_u64(m, key, v);
    }
    p = nl ? nl + 1 : NULL;
  }
  return m;
}

static cJSON *u64_list(const char *dir, const char *file)
{
  cJSON *arr = cJSON_CreateArray();
  cleanup_free char *s = dir ? cg_read(dir, file) : NULL;
  for (char *p = s; p && *p;) {
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p)
      break;
    push_u64(arr, v);
    p = end;
  }
  return arr;
}

static cJSON *memory_entry(const char *dir, const char *prefix)
{
  cJSON *e = cJSON_CreateObject();
  char f[96];
  snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
  add_u64(e, "limit", read_u64(dir, f));
  snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
  add_u64(e, "usage", read_u64(dir, f));
  snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
  add_u64(e, "max", read_u64(dir, f));
  snprintf(f, sizeof(f), "%s.failcnt", prefix);
  add_u64(e, "failcnt", read_u64(dir, f));
  return e;
}

/* blkio files: "MAJ:MIN Op value" lines (or "MAJ:MIN value"), "Total" skipped. */
static cJSON *blkio_entries(const char *dir, const char *file)
{
  cJSON *arr = cJSON_CreateArray();
  cleanup_free char *s = dir ? cg_read(dir, file) : NULL;
  for (char *p = s; p && *p;) {
    char *nl = strchr(p, '\n');
    if (nl)
      *nl = '\0';
    unsigned major, minor;
    char op[32];
    uint64_t v;
    cJSON *e = NULL;
    if (sscanf(p, "%u:%u %31s %" SCNu64, &major, &minor, op, &v) == 4) {
      e = cJSON_CreateObject();
      add_u64(e, "major", major);
      add_u64(e, "minor", minor);
      cJSON_AddStringToObject(e, "op", op);
      add_u64(e, "value", v);
    } else if (sscanf(p, "%u:%u %" SCNu64, &major, &minor, &v) == 3) {
      e = cJSON_CreateObject();
      add_u64(e, "major", major);
      add_u64(e, "minor", minor);
      cJSON_AddStringToObject(e, "op", "");
      add_u64(e, "value", v);
    }
    if (e)
      cJSON_AddItemToArray(arr, e);
    p = nl ? nl + 1 : NULL;
  }
  return arr;
}

static cJSON *v1_blkio(const char *dir)
{
  cJSON *b = cJSON_CreateObject();
  /* CFQ files when present, else BFQ, else the throttle layer's (always there). */
  const char *prefix = "blkio.throttle.";
  if (dir && cg_exists(dir, "blkio.io_service_bytes_recursive"))
    prefix = "blkio.";
  else if (dir && cg_exists(dir, "blkio.bfq.io_service_bytes_recursive"))
    prefix = "blkio.bfq.";
  static const char *const keys[][2] = {
      {"ioServiceBytesRecursive", "io_service_bytes_recursive"},
      {"ioServicedRecursive", "io_serviced_recursive"},
      {"ioQueueRecursive", "io_queued_recursive"},
      {"ioServiceTimeRecursive", "io_service_time_recursive"},
      {"ioWaitTimeRecursive", "io_wait_time_recursive"},
      {"ioMergedRecursive", "io_merged_recursive"},
      {"ioTimeRecursive", "time_recursive"},
      {"sectorsRecursive", "sectors_recursive"},
  };
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    char file[96];
    snprintf(file, sizeof(file), "%s%s", prefix, keys[i][1]);
    cJSON *entries = blkio_entries(dir, file);
    if (i < 2 || cJSON_GetArraySize(entries) > 0)
      cJSON_AddItemToObject(b, keys[i][0], entries);
    else
      cJSON_Delete(entries);
  }
  return b;
}

/* hugetlb.<size>.<suffix> files of a directory, keyed by page size. */
static cJSON *hugetlb_stats(const char *dir, bool v2)
{
  cJSON *h = cJSON_CreateObject();
  DIR *d = dir ? opendir(dir) : NULL;
  if (d == NULL)
    return h;
  const char *usage_suffix = v2 ? ".current" : ".usage_in_bytes";
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    const char *name = de->d_name;
    size_t nl = strlen(name), sl = strlen(usage_suffix);
    if (strncmp(name, "hugetlb.", 8) != 0 || nl <= 8 + sl ||
        strcmp(name + nl - sl, usage_suffix) != 0)
      continue;
    char size[32];
    size_t len = nl - 8 - sl;
    if (len >= sizeof(size) || memchr(name + 8, '.', len))
      continue; /* skips the .rsvd. variants */
    memcpy(size, name + 8, len);
    size[len] = '\0';
    cJSON *e = cJSON_CreateObject();
    char f[96];
    add_u64(e, "usage", read_u64(dir, name));
    if (v2) {
      snprintf(f, sizeof(f), "hugetlb.%s.events", size);
      cleanup_free char *events = cg_read(dir, f);
      add_u64(e, "failcnt", events ? keyed(events, "max") : 0);
    } else {
      snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", size);
      add_u64(e, "max", read_u64(dir, f));
      snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
      add_u64(e, "failcnt", read_u64(dir, f));
    }
    cJSON_AddItemToObject(h, size, e);
  }
  closedir(d);
  return h;
}

static cJSON *pids_stats(const char *dir)
{
  cJSON *p = cJSON_CreateObject();
  add_u64(p, "current", read_u64(dir, "pids.current"));
  uint64_t max = read_u64(dir, "pids.max");
  add_u64(p, "limit", max == UINT64_MAX ? 0 : max);
  return p;
}

cJSON *cgroup_v1_stats(const struct cgroup *cg, bottle_error_t *err)
{
  cJSON *s = cJSON_CreateObject();
  if (s == NULL) {
    berr(err, ENOMEM, "stats");
    return NULL;
  }
  const char *acct = cgroup_v1_dir(cg, "cpuacct");
  const char *cpu_dir = cgroup_v1_dir(cg, "cpu");
  cJSON *cpu = cJSON_AddObjectToObject(s, "cpu");
  cJSON *usage = cJSON_AddObjectToObject(cpu, "usage");
  add_u64(usage, "total", read_u64(acct, "cpuacct.usage"));
  cJSON_AddItemToObject(usage, "percpu", u64_list(acct, "cpuacct.usage_percpu"));
  cJSON_AddItemToObject(usage, "percpu_kernel", u64_list(acct, "cpuacct.usage_percpu_sys"));
  cJSON_AddItemToObject(usage, "percpu_user", u64_list(acct, "cpuacct.usage_percpu_user"));
  {
    /* cpuacct.stat counts USER_HZ ticks */
    cleanup_free char *st = acct ? cg_read(acct, "cpuacct.stat") : NULL;
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t tick_ns = hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL;
    add_u64(usage, "kernel", st ? keyed(st, "system") * tick_ns : 0);
    add_u64(usage, "user", st ? keyed(st, "user") * tick_ns : 0);
  }
  cJSON *thr = cJSON_AddObjectToObject(cpu, "throttling");
  {
    cleanup_free char *st = cpu_dir ? cg_read(cpu_dir, "cpu.stat") : NULL;
    add_u64(thr, "periods", st ? keyed(st, "nr_periods") : 0);
    add_u64(thr, "throttledPeriods", st ? keyed(st, "nr_throttled") : 0);
    add_u64(thr, "throttledTime", st ? keyed(st, "throttled_time") : 0);
  }

  const char *mem_dir = cgroup_v1_dir(cg, "memory");
  cJSON *mem = cJSON_AddObjectToObject(s, "memory");
  cleanup_free char *mstat = mem_dir ? cg_read(mem_dir, "memory.stat") : NULL;
  add_u64(mem, "cache", mstat ? keyed(mstat, "cache") : 0);
  cJSON_AddItemToObject(mem, "usage", memory_entry(mem_dir, "memory"));
  cJSON_AddItemToObject(mem, "swap", memory_entry(mem_dir, "memory.memsw"));
  cJSON_AddItemToObject(mem, "kernel", memory_entry(mem_dir, "memory.kmem"));
  cJSON_AddItemToObject(mem, "kernelTCP", memory_entry(mem_dir, "memory.kmem.tcp"));
  cJSON_AddItemToObject(mem, "raw", keyed_map(mstat));

  cJSON_AddItemToObject(s, "pids", pids_stats(cgroup_v1_dir(cg, "pids")));
  cJSON_AddItemToObject(s, "blkio", v1_blkio(cgroup_v1_dir(cg, "blkio")));
  const char *huge = cgroup_v1_dir(cg, "hugetlb");
  cJSON_AddItemToObject(s, "hugetlb",
                        huge ? hugetlb_stats(huge, false) : hugetlb_stats(cg->unified, true));
  return s;
}

static cJSON *v2_io(const char *dir)
{
  cJSON *b = cJSON_CreateObject();
  cJSON *bytes = cJSON_AddArrayToObject(b, "ioServiceBytesRecursive");
  cJSON *ios = cJSON_AddArrayToObject(b, "ioServicedRecursive");
  cleanup_free char *s = cg_read(dir, "io.stat");
  for (char *p = s; p && *p;) {
    char *nl = strchr(p, '\n');
    if (nl)
      *nl = '\0';
    unsigned major, minor;
    int off = 0;
    if (sscanf(p, "%u:%u%n", &major, &minor, &off) == 2) {
      static const char *const fields[][3] = {
          {"rbytes", "Read", "b"},
          {"wbytes", "Write", "b"},
          {"rios", "Read", "i"},
          {"wios", "Write", "i"},
      };
      for (size_t i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof(key), " %s=", fields[i][0]);
        char *hit = strstr(p + off, key);
        if (hit == NULL)
          continue;
        cJSON *e = cJSON_CreateObject();
        add_u64(e, "major", major);
        add_u64(e, "minor", minor);
        cJSON_AddStringToObject(e, "op", fields[i][1]);
        add_u64(e, "value", strtoull(hit + strlen(key), NULL, 10));
        cJSON_AddItemToArray(fields[i][2][0] == 'b' ? bytes : ios, e);
      }
    }
    p = nl ? nl + 1 : NULL;
  }
  return b;
}

cJSON *cgroup_v2_stats(const char *dir, bottle_error_t *err)
{
  cJSON *s = cJSON_CreateObject();
  if (s == NULL || dir == NULL) {
    cJSON_Delete(s);
    berr(err, ENOMEM, "stats");
    return NULL;
  }
  cleanup_free char *cstat = cg_read(dir, "cpu.stat");
  cJSON *cpu = cJSON_AddObjectToObject(s, "cpu");
  cJSON *usage = cJSON_AddObjectToObject(cpu, "usage");
  add_u64(usage, "total", keyed(cstat, "usage_usec") * 1000);
  cJSON_AddArrayToObject(usage, "percpu");
  add_u64(usage, "kernel", keyed(cstat, "system_usec") * 1000);
  add_u64(usage, "user", keyed(cstat, "user_usec") * 1000);
  cJSON *thr = cJSON_AddObjectToObject(cpu, "throttling");
  add_u64(thr, "periods", keyed(cstat, "nr_periods"));
  add_u64(thr, "throttledPeriods", keyed(cstat, "nr_throttled"));
  add_u64(thr, "throttledTime", keyed(cstat, "throttled_usec") * 1000);

  cleanup_free char *mstat = cg_read(dir, "memory.stat");
  cleanup_free char *mevents = cg_read(dir, "memory.events");
  cJSON *mem = cJSON_AddObjectToObject(s, "memory");
  add_u64(mem, "cache", keyed(mstat, "file"));
  uint64_t cur = read_u64(dir, "memory.current"), max = read_u64(dir, "memory.max");
  cJSON *u = cJSON_AddObjectToObject(mem, "usage");
  add_u64(u, "limit", max);
  add_u64(u, "usage", cur);
  add_u64(u, "max", read_u64(dir, "memory.peak"));
  add_u64(u, "failcnt", keyed(mevents, "max"));
  /* like runc on v2: "swap" is memory+swap, as on v1 */
  uint64_t swap_cur = read_u64(dir, "memory.swap.current");
  uint64_t swap_max = read_u64(dir, "memory.swap.max");
  cJSON *sw = cJSON_AddObjectToObject(mem, "swap");
  add_u64(sw, "limit", (swap_max == UINT64_MAX || max == UINT64_MAX) ? UINT64_MAX : swap_max + max);
  add_u64(sw, "usage", swap_cur + cur);
  add_u64(sw, "failcnt", 0);
  cJSON_AddItemToObject(mem, "raw", keyed_map(mstat));

  cJSON_AddItemToObject(s, "pids", pids_stats(dir));
  cJSON_AddItemToObject(s, "blkio", v2_io(dir));
  cJSON_AddItemToObject(s, "hugetlb", hugetlb_stats(dir, true));
  return s;
}

int cgroup_oom_kills(const struct cgroup *cg, unsigned long long *count, bottle_error_t *err)
{
  const char *dir = cg->unified_only ? cg->unified : cgroup_v1_dir(cg, "memory");
  *count = 0;
  if (dir == NULL)
    return 0;
  const char *file = cg->unified_only ? "memory.events" : "memory.oom_control";
  cleanup_free char *text = cg_read(dir, file);
  if (text == NULL)
    return errno == ENOENT ? 0 : berr(err, errno, "cgroup: read %s/%s", dir, file);
  *count = keyed(text, "oom_kill");
  return 0;
}

cJSON *cgroup_stats(const struct cgroup *cg, bottle_error_t *err)
{
  cJSON *s = cg->unified_only ? cgroup_v2_stats(cg->unified, err) : cgroup_v1_stats(cg, err);
  if (s == NULL)
    berr_wrap(err, "cgroup: stats");
  return s;
}

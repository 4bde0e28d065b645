/* OCI linux.resources onto cgroup v2 files, with runc's conversions
 * (shares -> cpu.weight, blkio weight -> io.weight, swap = memory+swap total). */
#include "runtime/cgroup/cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/lib/log.h"

static int write_limit(const char *dir, const char *file, int64_t v, bottle_error_t *err)
{
  if (v < 0)
    return cg_write(dir, file, "max", err);
  return cg_writef(dir, file, err, "%" PRId64, v);
}

static int v2_memory(const char *dir, const cJSON *mem, bottle_error_t *err)
{
  int64_t limit = 0, swap = 0, reservation = 0, ignored;
  res_i64(mem, "limit", &limit);
  res_i64(mem, "swap", &swap);
  res_i64(mem, "reservation", &reservation);
  if (res_i64(mem, "kernel", &ignored) && ignored != 0)
    log_msg(LOG_WARNING, "linux.resources.memory.kernel is deprecated and ignored");
  if (res_i64(mem, "swappiness", &ignored) && ignored != -1)
    log_msg(LOG_WARNING,
            "linux.resources.memory.swappiness is not supported on cgroup v2; ignored");
  /* OCI swap is memory+swap; v2 limits swap alone. */
  int64_t swap_max = 0;
  if (limit == -1 && swap == 0) {
    swap_max = -1;
  } else if (swap == -1) {
    swap_max = -1;
  } else if (swap > 0) {
    int64_t mem_limit = limit;
    if (mem_limit == 0 && !cg_read_i64(dir, "memory.max", &mem_limit))
      mem_limit = -1;
    if (mem_limit <= 0)
      return berr(err, 0, "linux.resources.memory.swap: a swap limit needs a memory limit as well");
    if (swap < mem_limit)
      return berr(err, 0,
                  "linux.resources.memory.swap (%" PRId64 ") must be >= memory.limit (%" PRId64
                  "): it is the memory+swap total",
                  swap, mem_limit);
    swap_max = swap - mem_limit;
  }
  if (swap_max != 0) {
    if (cg_exists(dir, "memory.swap.max")) {
      if (write_limit(dir, "memory.swap.max", swap_max, err) < 0)
        return berr_wrap(err, "memory.swap");
    } else if (swap_max != -1) {
      log_msg(LOG_WARNING, "linux.resources.memory.swap ignored: no memory.swap.max (swap "
                           "accounting is off)");
    }
  }
  if (limit != 0 && write_limit(dir, "memory.max", limit, err) < 0)
    return berr_wrap(err, "memory.limit");
  if (reservation != 0 && write_limit(dir, "memory.low", reservation, err) < 0)
    return berr_wrap(err, "memory.reservation");
  return 0;
}

static int v2_cpu(const char *dir, const cJSON *cpu, bottle_error_t *err)
{
  uint64_t shares = 0, period = 0, rt = 0;
  int64_t quota = 0, idle, rt_runtime = 0;
  res_u64(cpu, "shares", &shares);
  res_u64(cpu, "period", &period);
  res_i64(cpu, "quota", &quota);
  if ((res_u64(cpu, "realtimePeriod", &rt) && rt != 0) ||
      (res_i64(cpu, "realtimeRuntime", &rt_runtime) && rt_runtime != 0))
    log_msg(LOG_WARNING, "linux.resources.cpu.realtime* is not supported on cgroup v2; ignored");
  if (shares != 0) {
    if (shares < 2)
      shares = 2;
    if (shares > 262144)
      shares = 262144;
    uint64_t weight = 1 + ((shares - 2) * 9999) / 262142;
    if (cg_writef(dir, "cpu.weight", err, "%" PRIu64, weight) < 0)
      return berr_wrap(err, "cpu.shares");
  }
  if (quota != 0 || period != 0) {
    /* Zero means unchanged: keep the half of cpu.max that was not given. */
    char cur_quota[32] = "max";
    uint64_t cur_period = 100000;
    cleanup_free char *cur = cg_read(dir, "cpu.max");
    if (cur)
      sscanf(cur, "%31s %" SCNu64, cur_quota, &cur_period);
    char q[32];
    if (quota == 0)
      snprintf(q, sizeof(q), "%s", cur_quota);
    else if (quota < 0)
      snprintf(q, sizeof(q), "max");
    else
      snprintf(q, sizeof(q), "%" PRId64, quota);
    if (cg_writef(dir, "cpu.max", err, "%s %" PRIu64, q, period ? period : cur_period) < 0)
      return berr_wrap(err, "cpu.quota/period");
  }
  if (res_i64(cpu, "idle", &idle) && cg_writef(dir, "cpu.idle", err, "%" PRId64, idle) < 0)
    return berr_wrap(err, "cpu.idle");
  const char *cpus = res_str(cpu, "cpus"), *mems = res_str(cpu, "mems");
  if (cpus && *cpus && cg_write(dir, "cpuset.cpus", cpus, err) < 0)
    return berr_wrap(err, "cpu.cpus");
  if (mems && *mems && cg_write(dir, "cpuset.mems", mems, err) < 0)
    return berr_wrap(err, "cpu.mems");
  return 0;
}

static uint64_t io_weight(uint64_t blkio)
{
  if (blkio < 10)
    blkio = 10;
  if (blkio > 1000)
    blkio = 1000;
  return 1 + ((blkio - 10) * 9999) / 990;
}

static int v2_io(const char *dir, const cJSON *bio, bottle_error_t *err)
{
  bool bfq = cg_exists(dir, "io.bfq.weight");
  uint64_t weight = 0;
  if (res_u64(bio, "weight", &weight) && weight != 0) {
    int rc = bfq ? cg_writef(dir, "io.bfq.weight", err, "%" PRIu64, weight)
                 : cg_writef(dir, "io.weight", err, "%" PRIu64, io_weight(weight));
    if (rc < 0)
      return berr_wrap(err, "blockIO.weight");
  }
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(bio, "weightDevice"))
  {
    int64_t major, minor;
    uint64_t w;
    if (!res_i64(e, "major", &major) || !res_i64(e, "minor", &minor) || !res_u64(e, "weight", &w))
      continue;
    int rc = bfq ? cg_writef(dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, major,
                             minor, w)
                 : cg_writef(dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, major,
                             minor, io_weight(w));
    if (rc < 0)
      return berr_wrap(err, "blockIO.weightDevice");
  }
  static const char *const throttle[][2] = {
      {"throttleReadBpsDevice", "rbps"},
      {"throttleWriteBpsDevice", "wbps"},
      {"throttleReadIOPSDevice", "riops"},
      {"throttleWriteIOPSDevice", "wiops"},
  };
  for (size_t i = 0; i < 4; i++) {
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(bio, throttle[i][0]))
    {
      int64_t major, minor;
      uint64_t rate;
      if (!res_i64(e, "major", &major) || !res_i64(e, "minor", &minor) ||
          !res_u64(e, "rate", &rate))
        continue;
      int rc = rate == 0 ? cg_writef(dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=max", major,
                                     minor, throttle[i][1])
                         : cg_writef(dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
                                     major, minor, throttle[i][1], rate);
      if (rc < 0)
        return berr_wrap(err, "blockIO.%s", throttle[i][0]);
    }
  }
  return 0;
}

static int v2_hugetlb(const char *dir, const cJSON *limits, bottle_error_t *err)
{
  const cJSON *e;
  cJSON_ArrayForEach(e, limits)
  {
    const char *size = res_str(e, "pageSize");
    uint64_t limit = 0;
    if (size == NULL || *size == '\0' || strchr(size, '/') || !res_u64(e, "limit", &limit))
      return berr(err, 0, "linux.resources.hugepageLimits: each entry needs pageSize and limit");
    cleanup_free char *file = xasprintf("hugetlb.%s.max", size);
    if (!cg_exists(dir, file))
      return berr(err, 0,
                  "linux.resources.hugepageLimits: page size %s is not supported here (no %s/%s)",
                  size, dir, file);
    if (cg_writef(dir, file, err, "%" PRIu64, limit) < 0)
      return berr_wrap(err, "hugepageLimits");
  }
  return 0;
}

static int v2_unified(const char *dir, const cJSON *unified, bottle_error_t *err)
{
  const cJSON *e;
  cJSON_ArrayForEach(e, unified)
  {
    if (!cJSON_IsString(e) || strchr(e->string, '/') || e->string[0] == '.')
      return berr(err, 0, "linux.resources.unified: \"%s\" is not a cgroup file name", e->string);
    if (cg_write(dir, e->string, e->valuestring, err) < 0)
      return berr_wrap(err, "unified");
  }
  return 0;
}

static int v2_apply(const struct cgroup *cg, const cJSON *res, bool creating, bottle_error_t *err);

int cgroup_v2_apply(const struct cgroup *cg, const cJSON *res, bool creating, bottle_error_t *err)
{
  if (v2_apply(cg, res, creating, err) == 0)
    return 0;
  /* A missing control file means the controller was not delegated. */
  if (err && err->set && err->errnum == ENOENT)
    berr_wrap(err,
              "the controller is not enabled for %s (see cgroup.controllers there and its "
              "parent's cgroup.subtree_control)",
              cg->unified);
  return -1;
}

static int v2_apply(const struct cgroup *cg, const cJSON *res, bool creating, bottle_error_t *err)
{
  const char *dir = cg->unified;
  if (creating) {
    const cJSON *devices = cJSON_GetObjectItemCaseSensitive(res, "devices");
    cleanup_cjson cJSON *rules = cgroup_device_rules(res);
    if (rules == NULL)
      return berr(err, ENOMEM, "devices");
    /* Without a spec rule there is nothing to enforce beyond the defaults;
     * an absent list keeps the host's "allow all" only if BPF is unusable. */
    if (cgroup_v2_devices(dir, rules, err) < 0) {
      if (cJSON_GetArraySize(devices) > 0)
        return berr_wrap(err, "devices");
      berr_clear(err);
    }
  }
  const cJSON *pids = cJSON_GetObjectItemCaseSensitive(res, "pids");
  int64_t pids_limit = 0;
  if (v2_memory(dir, cJSON_GetObjectItemCaseSensitive(res, "memory"), err) < 0 ||
      v2_cpu(dir, cJSON_GetObjectItemCaseSensitive(res, "cpu"), err) < 0)
    return -1;
  if (res_i64(pids, "limit", &pids_limit) && pids_limit != 0 &&
      write_limit(dir, "pids.max", pids_limit, err) < 0)
    return berr_wrap(err, "pids.limit");
  if (v2_io(dir, cJSON_GetObjectItemCaseSensitive(res, "blockIO"), err) < 0 ||
      v2_hugetlb(dir, cJSON_GetObjectItemCaseSensitive(res, "hugepageLimits"), err) < 0)
    return -1;
  return v2_unified(dir, cJSON_GetObjectItemCaseSensitive(res, "unified"), err);
}

static bool word_listed(const char *words, const char *w)
{
  size_t n = strlen(w);
  for (const char *hit = words ? strstr(words, w) : NULL; hit; hit = strstr(hit + 1, w))
    if ((hit == words || hit[-1] == ' ') && (hit[n] == '\0' || hit[n] == ' ' || hit[n] == '\n'))
      return true;
  return false;
}

static void delegate_one(const char *cgdir, const char *only)
{
  cleanup_free char *avail = cg_read(cgdir, "cgroup.controllers");
  cleanup_free char *have = cg_read(cgdir, "cgroup.subtree_control");
  char *save = NULL;
  for (char *c = avail ? strtok_r(avail, " ", &save) : NULL; c; c = strtok_r(NULL, " ", &save)) {
    if ((only && strcmp(c, only) != 0) || word_listed(have, c))
      continue;
    /* fails for a cgroup with processes of its own (no internal
     * processes rule); the resource write then names the controller */
    bottle_error_t ignored = {0};
    cg_writef(cgdir, "cgroup.subtree_control", &ignored, "+%s", c);
    berr_clear(&ignored);
  }
}

/* v2: the mount root and every ancestor of dir must delegate the
 * controllers they have (`only` limits this to one controller). */
void cgroup_v2_delegate(const char *mountpoint, const char *dir, const char *only)
{
  size_t ml = strlen(mountpoint);
  if (strncmp(dir, mountpoint, ml) != 0 || dir[ml] != '/')
    return;
  cleanup_free char *p = strdup(dir);
  if (p == NULL)
    return;
  char *leaf = strrchr(p, '/');
  *leaf = '\0'; /* p is now the container's parent, the last one that delegates */
  delegate_one(mountpoint, only);
  for (char *s = p + ml; s < leaf;) {
    char *slash = strchr(s + 1, '/');
    if (slash)
      *slash = '\0';
    delegate_one(p, only);
    if (slash == NULL)
      break;
    *slash = '/';
    s = slash;
  }
}

/* OCI linux.resources onto cgroup v1 files (runc's fs driver semantics:
 * zero or absent leaves a value alone; controllers that are not mounted are
 * skipped). */
#include "runtime/cgroup/cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/lib/log.h"

static int v1_memory(const char *dir, const cJSON *mem, bottle_error_t *err)
{
  int64_t limit = 0, swap = 0, reservation = 0, kernel = 0, kernel_tcp = 0, swappiness;
  bool disable_oom = false;
  res_i64(mem, "limit", &limit);
  res_i64(mem, "swap", &swap);
  res_i64(mem, "reservation", &reservation);
  if (res_i64(mem, "kernel", &kernel) && kernel != 0)
    log_msg(LOG_WARNING, "linux.resources.memory.kernel is deprecated and ignored");
  bool has_memsw = cg_exists(dir, "memory.memsw.limit_in_bytes");
  /* Unlimited memory with swap not given means unlimited swap too. */
  if (limit == -1 && swap == 0)
    swap = -1;
  if (swap != 0 && !has_memsw) {
    if (swap != -1)
      log_msg(LOG_WARNING, "linux.resources.memory.swap ignored: swap accounting is off "
                           "(no memory.memsw.limit_in_bytes)");
    swap = 0;
  }
  if (limit != 0 && swap != 0) {
    /* The kernel insists on limit <= memsw at every step: raise memsw first
     * when growing, lower the limit first when shrinking. */
    int64_t cur = 0;
    if (swap == -1 || (cg_read_i64(dir, "memory.limit_in_bytes", &cur) && cur < swap)) {
      if (cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0 ||
          cg_writef(dir, "memory.limit_in_bytes", err, "%" PRId64, limit) < 0)
        return berr_wrap(err, "memory.limit/swap");
      limit = swap = 0;
    }
  }
  if (limit != 0 && cg_writef(dir, "memory.limit_in_bytes", err, "%" PRId64, limit) < 0)
    return berr_wrap(err, "memory.limit");
  if (swap != 0 && cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
    return berr_wrap(err, "memory.swap");
  if (reservation != 0 &&
      cg_writef(dir, "memory.soft_limit_in_bytes", err, "%" PRId64, reservation) < 0)
    return berr_wrap(err, "memory.reservation");
  if (res_i64(mem, "kernelTCP", &kernel_tcp) && kernel_tcp != 0 &&
      cg_exists(dir, "memory.kmem.tcp.limit_in_bytes") &&
      cg_writef(dir, "memory.kmem.tcp.limit_in_bytes", err, "%" PRId64, kernel_tcp) < 0)
    return berr_wrap(err, "memory.kernelTCP");
  if (res_i64(mem, "swappiness", &swappiness) && swappiness != -1) {
    if (swappiness < 0 || swappiness > 100)
      return berr(err, 0, "linux.resources.memory.swappiness: %" PRId64 " is outside 0-100",
                  swappiness);
    if (cg_writef(dir, "memory.swappiness", err, "%" PRId64, swappiness) < 0)
      return berr_wrap(err, "memory.swappiness");
  }
  if (res_bool(mem, "disableOOMKiller", &disable_oom) && disable_oom &&
      cg_write(dir, "memory.oom_control", "1", err) < 0)
    return berr_wrap(err, "memory.disableOOMKiller");
  return 0;
}

static int v1_cpu(const char *dir, const cJSON *cpu, bottle_error_t *err)
{
  uint64_t shares = 0, period = 0, rt_period = 0;
  int64_t quota = 0, rt_runtime = 0, idle;
  res_u64(cpu, "shares", &shares);
  res_u64(cpu, "period", &period);
  res_i64(cpu, "quota", &quota);
  res_u64(cpu, "realtimePeriod", &rt_period);
  res_i64(cpu, "realtimeRuntime", &rt_runtime);
  if (shares != 0) {
    if (cg_writef(dir, "cpu.shares", err, "%" PRIu64, shares) < 0)
      return berr_wrap(err, "cpu.shares");
    int64_t got = 0;
    /* The kernel clamps silently; runc reports it. */
    if (cg_read_i64(dir, "cpu.shares", &got) && (uint64_t)got != shares)
      return berr(err, 0,
                  "linux.resources.cpu.shares: %" PRIu64 " is out of range, the %s is %" PRId64,
                  shares, shares > (uint64_t)got ? "maximum" : "minimum", got);
  }
  bool period_pending = false;
  if (period != 0 && cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, period) < 0) {
    /* A shorter period can exceed the parent's quota until the new quota is in. */
    if (err == NULL || !err->set || err->errnum != EINVAL || quota == 0)
      return berr_wrap(err, "cpu.period");
    berr_clear(err);
    period_pending = true;
  }
  if (quota != 0) {
    if (cg_writef(dir, "cpu.cfs_quota_us", err, "%" PRId64, quota) < 0)
      return berr_wrap(err, "cpu.quota");
    if (period_pending && cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, period) < 0)
      return berr_wrap(err, "cpu.period");
  }
  if (rt_period != 0 && cg_writef(dir, "cpu.rt_period_us", err, "%" PRIu64, rt_period) < 0)
    return berr_wrap(err, "cpu.realtimePeriod");
  if (rt_runtime != 0 && cg_writef(dir, "cpu.rt_runtime_us", err, "%" PRId64, rt_runtime) < 0)
    return berr_wrap(err, "cpu.realtimeRuntime");
  if (res_i64(cpu, "idle", &idle) && cg_writef(dir, "cpu.idle", err, "%" PRId64, idle) < 0)
    return berr_wrap(err, "cpu.idle");
  return 0;
}

static int v1_cpuset(const char *dir, const cJSON *cpu, bottle_error_t *err)
{
  const char *cpus = res_str(cpu, "cpus"), *mems = res_str(cpu, "mems");
  if (cpus && *cpus && cg_write(dir, "cpuset.cpus", cpus, err) < 0)
    return berr_wrap(err, "cpu.cpus");
  if (mems && *mems && cg_write(dir, "cpuset.mems", mems, err) < 0)
    return berr_wrap(err, "cpu.mems");
  return 0;
}

static int v1_pids(const char *dir, const cJSON *pids, bottle_error_t *err)
{
  int64_t limit = 0;
  if (!res_i64(pids, "limit", &limit) || limit == 0)
    return 0;
  int rc = limit > 0 ? cg_writef(dir, "pids.max", err, "%" PRId64, limit)
                     : cg_write(dir, "pids.max", "max", err);
  return rc < 0 ? berr_wrap(err, "pids.limit") : 0;
}

static int write_device_list(const char *dir, const char *file, const cJSON *list,
                             const char *value_key, const char *field, bottle_error_t *err)
{
  const cJSON *e;
  cJSON_ArrayForEach(e, list)
  {
    int64_t major, minor, value;
    if (!res_i64(e, "major", &major) || !res_i64(e, "minor", &minor) ||
        !res_i64(e, value_key, &value))
      continue;
    if (cg_writef(dir, file, err, "%" PRId64 ":%" PRId64 " %" PRId64, major, minor, value) < 0)
      return berr_wrap(err, "blockIO.%s", field);
  }
  return 0;
}

static int v1_blkio(const char *dir, const cJSON *bio, bottle_error_t *err)
{
  bool bfq = !cg_exists(dir, "blkio.weight") && cg_exists(dir, "blkio.bfq.weight");
  const char *weight_file = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const char *weight_dev_file = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  uint64_t weight = 0, leaf = 0;
  if (res_u64(bio, "weight", &weight) && weight != 0) {
    if (!cg_exists(dir, weight_file))
      return berr(err, 0,
                  "linux.resources.blockIO.weight: this kernel has no blkio.weight "
                  "(needs the BFQ or CFQ I/O scheduler); leave it unset");
    if (cg_writef(dir, weight_file, err, "%" PRIu64, weight) < 0)
      return berr_wrap(err, "blockIO.weight");
  }
  if (res_u64(bio, "leafWeight", &leaf) && leaf != 0 &&
      cg_writef(dir, "blkio.leaf_weight", err, "%" PRIu64, leaf) < 0)
    return berr_wrap(err, "blockIO.leafWeight");
  const cJSON *wd = cJSON_GetObjectItemCaseSensitive(bio, "weightDevice");
  if (write_device_list(dir, weight_dev_file, wd, "weight", "weightDevice", err) < 0 ||
      write_device_list(dir, "blkio.leaf_weight_device", wd, "leafWeight", "weightDevice", err) < 0)
    return -1;
  static const char *const throttle[][2] = {
      {"throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
      {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device"},
      {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device"},
      {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"},
  };
  for (size_t i = 0; i < 4; i++)
    if (write_device_list(dir, throttle[i][1],
                          cJSON_GetObjectItemCaseSensitive(bio, throttle[i][0]), "rate",
                          throttle[i][0], err) < 0)
      return -1;
  return 0;
}

static bool page_size_ok(const char *s)
{
  if (s == NULL || *s == '\0' || strlen(s) > 16)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
      return false;
  return true;
}

/* hugetlb in v1, or (hybrid) in the unified hierarchy when the kernel put it there. */
static int v1_hugetlb(const struct cgroup *cg, const cJSON *limits, bottle_error_t *err)
{
  const char *v1 = cgroup_v1_dir(cg, "hugetlb");
  const cJSON *e;
  cJSON_ArrayForEach(e, limits)
  {
    const char *size = res_str(e, "pageSize");
    uint64_t limit = 0;
    if (!page_size_ok(size))
      return berr(err, 0, "linux.resources.hugepageLimits: pageSize \"%s\" is not like \"2MB\"",
                  size ? size : "");
    if (!res_u64(e, "limit", &limit))
      return berr(err, 0, "linux.resources.hugepageLimits[%s]: limit missing", size);
    cleanup_free char *file = NULL;
    const char *dir = v1;
    if (v1) {
      file = xasprintf("hugetlb.%s.limit_in_bytes", size);
    } else if (cg->unified) {
      /* Delegated only when asked for: a controller in use on v2 can no
       * longer be mounted as a v1 hierarchy. */
      dir = cg->unified;
      file = xasprintf("hugetlb.%s.max", size);
      if (!cg_exists(dir, file) && cg->unified_mount)
        cgroup_v2_delegate(cg->unified_mount, dir, "hugetlb");
    } else {
      return 0; /* runc skips controllers that are not mounted */
    }
    if (!cg_exists(dir, file))
      return berr(err, 0,
                  "linux.resources.hugepageLimits: page size %s is not supported here (no %s/%s)",
                  size, dir, file);
    if (cg_writef(dir, file, err, "%" PRIu64, limit) < 0)
      return berr_wrap(err, "hugepageLimits");
  }
  return 0;
}

static int v1_network(const struct cgroup *cg, const cJSON *net, bottle_error_t *err)
{
  const char *cls = cgroup_v1_dir(cg, "net_cls");
  const char *prio = cgroup_v1_dir(cg, "net_prio");
  uint64_t class_id = 0;
  /* A limit asked for and not applied is an error (runc and crun fail the create too). */
  if (res_u64(net, "classID", &class_id) && class_id != 0) {
    if (cls == NULL)
      return berr(err, 0,
                  "linux.resources.network.classID: the net_cls cgroup controller is not mounted "
                  "on this host; drop classID or mount net_cls");
    if (cg_writef(cls, "net_cls.classid", err, "%" PRIu64, class_id) < 0)
      return berr_wrap(err, "network.classID");
  }
  const cJSON *e;
  const cJSON *priorities = cJSON_GetObjectItemCaseSensitive(net, "priorities");
  if (cJSON_GetArraySize(priorities) > 0 && prio == NULL)
    return berr(err, 0,
                "linux.resources.network.priorities: the net_prio cgroup controller is not mounted "
                "on this host; drop priorities or mount net_prio");
  cJSON_ArrayForEach(e, priorities)
  {
    const char *name = res_str(e, "name");
    uint64_t p = 0;
    if (name && res_u64(e, "priority", &p) &&
        cg_writef(prio, "net_prio.ifpriomap", err, "%s %" PRIu64, name, p) < 0)
      return berr_wrap(err, "network.priorities");
  }
  return 0;
}

static int v1_device_rule(const char *dir, const cJSON *rule, bottle_error_t *err)
{
  bool allow = false;
  if (!res_bool(rule, "allow", &allow))
    return berr(err, 0, "linux.resources.devices: every rule needs \"allow\": true|false");
  const char *type = res_str(rule, "type");
  const char *access = res_str(rule, "access");
  if (type == NULL || *type == '\0')
    type = "a";
  if (access == NULL || *access == '\0')
    access = "rwm";
  if (strcmp(type, "a") != 0 && strcmp(type, "b") != 0 && strcmp(type, "c") != 0)
    return berr(err, 0, "linux.resources.devices: type \"%s\" must be a, b or c", type);
  if (strspn(access, "rwm") != strlen(access))
    return berr(err, 0, "linux.resources.devices: access \"%s\" may only contain r, w, m", access);
  const char *file = allow ? "devices.allow" : "devices.deny";
  if (type[0] == 'a')
    return cg_write(dir, file, "a", err);
  int64_t major = -1, minor = -1;
  res_i64(rule, "major", &major);
  res_i64(rule, "minor", &minor);
  char maj[24] = "*", min[24] = "*";
  if (major >= 0)
    snprintf(maj, sizeof(maj), "%" PRId64, major);
  if (minor >= 0)
    snprintf(min, sizeof(min), "%" PRId64, minor);
  return cg_writef(dir, file, err, "%s %s:%s %s", type, maj, min, access);
}

static int v1_devices(const char *dir, const cJSON *res, bottle_error_t *err)
{
  cleanup_cjson cJSON *rules = cgroup_device_rules(res);
  if (rules == NULL)
    return berr(err, ENOMEM, "devices");
  if (cg_write(dir, "devices.deny", "a", err) < 0)
    return berr_wrap(err, "devices");
  const cJSON *rule;
  cJSON_ArrayForEach(rule, rules)
  {
    if (v1_device_rule(dir, rule, err) < 0)
      return berr_wrap(err, "devices");
  }
  return 0;
}

static int v1_unified(const struct cgroup *cg, const cJSON *unified, bottle_error_t *err)
{
  if (!cJSON_IsObject(unified) || cJSON_GetArraySize(unified) == 0)
    return 0;
  if (cg->unified == NULL)
    return berr(err, 0, "linux.resources.unified needs cgroup v2; this host uses v1");
  const cJSON *e;
  cJSON_ArrayForEach(e, unified)
  {
    if (!cJSON_IsString(e) || strchr(e->string, '/') || e->string[0] == '.')
      return berr(err, 0, "linux.resources.unified: \"%s\" is not a cgroup file name", e->string);
    if (cg_write(cg->unified, e->string, e->valuestring, err) < 0)
      return berr_wrap(err, "unified");
  }
  return 0;
}

int cgroup_v1_apply(const struct cgroup *cg, const cJSON *res, bool creating, bottle_error_t *err)
{
  const char *dir;
  const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(res, "cpu");
  if ((dir = cgroup_v1_dir(cg, "cpuset")) && v1_cpuset(dir, cpu, err) < 0)
    return -1;
  if (creating && (dir = cgroup_v1_dir(cg, "devices")) && v1_devices(dir, res, err) < 0)
    return -1;
  if ((dir = cgroup_v1_dir(cg, "memory")) &&
      v1_memory(dir, cJSON_GetObjectItemCaseSensitive(res, "memory"), err) < 0)
    return -1;
  if ((dir = cgroup_v1_dir(cg, "cpu")) && v1_cpu(dir, cpu, err) < 0)
    return -1;
  if ((dir = cgroup_v1_dir(cg, "pids")) &&
      v1_pids(dir, cJSON_GetObjectItemCaseSensitive(res, "pids"), err) < 0)
    return -1;
  if ((dir = cgroup_v1_dir(cg, "blkio")) &&
      v1_blkio(dir, cJSON_GetObjectItemCaseSensitive(res, "blockIO"), err) < 0)
    return -1;
  if (v1_hugetlb(cg, cJSON_GetObjectItemCaseSensitive(res, "hugepageLimits"), err) < 0)
    return -1;
  if (v1_network(cg, cJSON_GetObjectItemCaseSensitive(res, "network"), err) < 0)
    return -1;
  return v1_unified(cg, cJSON_GetObjectItemCaseSensitive(res, "unified"), err);
}

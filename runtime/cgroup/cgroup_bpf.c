/* cgroup v2 device control: the OCI rules compiled into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program and attached with BPF_F_ALLOW_MULTI.
 *
 * Semantics follow runc: everything is denied unless a rule says otherwise,
 * and the last matching rule wins, so rules are emitted in reverse order,
 * each one a block that returns its verdict or jumps to the next. A request
 * matches a rule when every access bit it asks for is in the rule's access. */
#include "runtime/cgroup/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"

#define MAX_RULES 4096

struct prog {
  struct bpf_insn *insn;
  size_t n, cap;
};

static int emit(struct prog *p, struct bpf_insn i)
{
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    struct bpf_insn *bigger = realloc(p->insn, cap * sizeof(*bigger));
    if (bigger == NULL)
      return -1;
    p->insn = bigger;
    p->cap = cap;
  }
  p->insn[p->n++] = i;
  return 0;
}

static struct bpf_insn ins(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
  return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* Registers after the prologue: r2 = device type, r3 = requested access,
 * r4 = major, r5 = minor; r1 is free as a scratch register. */
static int prologue(struct prog *p)
{
  int rc = 0;
  rc |= emit(p, ins(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
  rc |= emit(p, ins(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF));
  rc |= emit(p, ins(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
  rc |= emit(p, ins(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  rc |= emit(p, ins(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
  rc |= emit(p, ins(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));
  return rc ? -1 : 0;
}

static int verdict(struct prog *p, bool allow)
{
  if (emit(p, ins(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, allow ? 1 : 0)) < 0)
    return -1;
  return emit(p, ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

struct rule {
  bool allow;
  int type;             /* 0 = any, else BPF_DEVCG_DEV_* */
  int access;           /* BPF_DEVCG_ACC_* bits */
  int64_t major, minor; /* -1 = any */
};

static int parse_rule(const cJSON *j, struct rule *r, bottle_error_t *err)
{
  if (!res_bool(j, "allow", &r->allow))
    return berr(err, 0, "linux.resources.devices: every rule needs \"allow\": true|false");
  const char *type = res_str(j, "type");
  const char *access = res_str(j, "access");
  if (type == NULL || *type == '\0' || strcmp(type, "a") == 0)
    r->type = 0;
  else if (strcmp(type, "b") == 0)
    r->type = BPF_DEVCG_DEV_BLOCK;
  else if (strcmp(type, "c") == 0)
    r->type = BPF_DEVCG_DEV_CHAR;
  else
    return berr(err, 0, "linux.resources.devices: type \"%s\" must be a, b or c", type);
  if (access == NULL || *access == '\0')
    access = "rwm";
  r->access = 0;
  for (const char *c = access; *c; c++) {
    if (*c == 'r')
      r->access |= BPF_DEVCG_ACC_READ;
    else if (*c == 'w')
      r->access |= BPF_DEVCG_ACC_WRITE;
    else if (*c == 'm')
      r->access |= BPF_DEVCG_ACC_MKNOD;
    else
      return berr(err, 0, "linux.resources.devices: access \"%s\" may only contain r, w, m",
                  access);
  }
  r->major = r->minor = -1;
  res_i64(j, "major", &r->major);
  res_i64(j, "minor", &r->minor);
  if (r->major > 0x7fffffff || r->minor > 0x7fffffff)
    return berr(err, 0, "linux.resources.devices: major/minor out of range");
  if (r->major < 0)
    r->major = -1;
  if (r->minor < 0)
    r->minor = -1;
  return 0;
}

static int rule_block(struct prog *p, const struct rule *r)
{
  const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  bool check_access = (r->access & all) != all;
  /* Every test jumps past the block's end on mismatch: block length first. */
  int len = (r->type != 0) + 3 * check_access + (r->major >= 0) + (r->minor >= 0) + 2;
  size_t start = p->n;
#define SKIP ((__s16)(len - (int)(p->n - start) - 1))
  int rc = 0;
  if (r->type != 0)
    rc |= emit(p, ins(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, SKIP, r->type));
  if (check_access) {
    rc |= emit(p, ins(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
    rc |= emit(p, ins(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, r->access));
    rc |= emit(p, ins(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, SKIP, 0));
  }
  if (r->major >= 0)
    rc |= emit(p, ins(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, SKIP, (__s32)r->major));
  if (r->minor >= 0)
    rc |= emit(p, ins(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, SKIP, (__s32)r->minor));
#undef SKIP
  return rc ? -1 : verdict(p, r->allow);
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cgroup_v2_devices(const char *dir, const cJSON *rules, bottle_error_t *err)
{
  int n = cJSON_GetArraySize(rules);
  if (n > MAX_RULES)
    return berr(err, 0, "linux.resources.devices: more than %d rules", MAX_RULES);
  struct rule *parsed = calloc((size_t)n + 1, sizeof(*parsed));
  if (parsed == NULL)
    return berr(err, ENOMEM, "devices");
  int i = 0;
  const cJSON *j;
  cJSON_ArrayForEach(j, rules)
  {
    if (parse_rule(j, &parsed[i], err) < 0) {
      free(parsed);
      return -1;
    }
    i++;
  }
  struct prog p = {0};
  int rc = prologue(&p);
  bool catch_all = false;
  for (i = n - 1; rc == 0 && i >= 0 && !catch_all; i--) {
    rc = rule_block(&p, &parsed[i]);
    const struct rule *r = &parsed[i];
    /* a rule for every device ends the program: older ones are unreachable */
    catch_all = r->type == 0 && r->major < 0 && r->minor < 0 &&
                r->access == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
  }
  free(parsed);
  if (rc == 0 && !catch_all)
    rc = verdict(&p, false);
  if (rc < 0) {
    free(p.insn);
    return berr(err, ENOMEM, "devices: building the BPF program");
  }

  static char log_buf[16384];
  union bpf_attr load;
  memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (__u64)(uintptr_t)p.insn;
  load.insn_cnt = (__u32)p.n;
  load.license = (__u64)(uintptr_t) "GPL";
  load.log_buf = (__u64)(uintptr_t)log_buf;
  load.log_size = sizeof(log_buf);
  load.log_level = 1;
  log_buf[0] = '\0';
  cleanup_close int prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &load);
  int load_errno = errno;
  free(p.insn);
  if (prog_fd < 0)
    return berr(err, load_errno, "devices: loading the cgroup v2 device filter (BPF): %.200s",
                log_buf);
  cleanup_close int cg_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0)
    return berr(err, errno, "devices: open %s", dir);
  union bpf_attr attach;
  memset(&attach, 0, sizeof(attach));
  attach.target_fd = (__u32)cg_fd;
  attach.attach_bpf_fd = (__u32)prog_fd;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &attach) < 0)
    return berr(err, errno, "devices: attaching the device filter to %s", dir);
  return 0;
}

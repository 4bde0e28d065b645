/* OCI linux.seccomp → a classic BPF program (via libseccomp), loaded with
 * seccomp(2) right before execve. The BPF is generated at compile time so the
 * load is one syscall with the spec's flags, and so the ENOSYS stub can be
 * put in front of libseccomp's program. */
#include "runtime/security/seccomp_internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"

struct action_name {
  const char *name;
  uint32_t base; /* SCMP_ACT_* without data */
  bool takes_errno;
};

static const struct action_name actions[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    /* runc maps SCMP_ACT_KILL to killing the thread, as the kernel's SECCOMP_RET_KILL does. */
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
};

/* errnoRet (or defaultErrnoRet) must fit the 16-bit SECCOMP_RET_DATA. */
static int errno_value(const cJSON *v, const char *field, uint16_t *out, bottle_error_t *err)
{
  if (v == NULL || cJSON_IsNull(v))
    return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 65535 ||
      v->valuedouble != (double)(int)v->valuedouble)
    return berr(err, 0, "%s: must be an errno number between 0 and 65535", field);
  *out = (uint16_t)v->valueint;
  return 0;
}

static int parse_action(const cJSON *name, const cJSON *errno_ret, const char *field,
                        const char *errno_field, uint32_t *out, bottle_error_t *err)
{
  if (!cJSON_IsString(name))
    return berr(err, 0, "%s: must be a string such as \"SCMP_ACT_ERRNO\"", field);
  if (strcmp(name->valuestring, "SCMP_ACT_NOTIFY") == 0)
    return berr(err, 0,
                "%s: SCMP_ACT_NOTIFY is not supported by bottle (no seccomp listener "
                "support); use SCMP_ACT_ERRNO or SCMP_ACT_ALLOW",
                field);
  for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
    if (strcmp(name->valuestring, actions[i].name) != 0)
      continue;
    if (!actions[i].takes_errno) {
      *out = actions[i].base;
      return 0;
    }
    uint16_t e = EPERM;
    if (errno_value(errno_ret, errno_field, &e, err) < 0)
      return -1;
    *out = actions[i].base | e;
    return 0;
  }
  return berr(err, 0,
              "%s: unknown action \"%s\" (use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
              "SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE or "
              "SCMP_ACT_LOG)",
              field, name->valuestring);
}

static const struct {
  const char *name;
  enum scmp_compare op;
} operators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* JSON numbers are doubles: values above 2^53 cannot be exact, so refuse them rather than
 * compare against a rounded value. */
static int u64_value(const cJSON *v, const char *field, uint64_t *out, bottle_error_t *err)
{
  if (v == NULL || cJSON_IsNull(v)) {
    *out = 0;
    return 0;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
      v->valuedouble != (double)(uint64_t)v->valuedouble)
    return berr(err, 0, "%s: must be a non-negative integer up to 2^53", field);
  *out = (uint64_t)v->valuedouble;
  return 0;
}

static int parse_arg(const cJSON *a, const char *field, struct scmp_arg_cmp *out,
                     bottle_error_t *err)
{
  if (!cJSON_IsObject(a))
    return berr(err, 0, "%s: must be an object {index, value, valueTwo, op}", field);
  const cJSON *index = cJSON_GetObjectItemCaseSensitive(a, "index");
  if (!cJSON_IsNumber(index) || index->valueint < 0 || index->valueint > 5 ||
      index->valuedouble != (double)index->valueint)
    return berr(err, 0, "%s.index: must be an argument number from 0 to 5", field);
  const cJSON *op = cJSON_GetObjectItemCaseSensitive(a, "op");
  if (!cJSON_IsString(op))
    return berr(err, 0, "%s.op: must be a string such as \"SCMP_CMP_EQ\"", field);
  size_t i = 0;
  for (; i < sizeof(operators) / sizeof(operators[0]); i++)
    if (strcmp(op->valuestring, operators[i].name) == 0)
      break;
  if (i == sizeof(operators) / sizeof(operators[0]))
    return berr(err, 0,
                "%s.op: unknown operator \"%s\" (use SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT or "
                "_MASKED_EQ)",
                field, op->valuestring);
  uint64_t value, value_two;
  if (u64_value(cJSON_GetObjectItemCaseSensitive(a, "value"), field, &value, err) < 0 ||
      u64_value(cJSON_GetObjectItemCaseSensitive(a, "valueTwo"), field, &value_two, err) < 0)
    return -1;
  /* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the datum, as libseccomp's
   * datum_a/datum_b: (arg & value) == valueTwo. */
  *out = (struct scmp_arg_cmp){.arg = (unsigned)index->valueint,
                               .op = operators[i].op,
                               .datum_a = value,
                               .datum_b = value_two};
  return 0;
}

static const struct {
  const char *oci;
  uint32_t token;
} arch_names[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

int seccomp_arch_token(const char *oci_name, uint32_t *token)
{
  for (size_t i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++) {
    if (strcmp(oci_name, arch_names[i].oci) == 0) {
      *token = arch_names[i].token;
      return 0;
    }
  }
  return -1;
}

static const struct {
  const char *name;
  unsigned flag;
} filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

void seccomp_ctx_cleanup(scmp_filter_ctx *ctx)
{
  if (*ctx != NULL)
    seccomp_release(*ctx);
}

static int add_rules(scmp_filter_ctx ctx, const cJSON *entry, size_t n, uint32_t default_action,
                     bottle_error_t *err)
{
  char field[64];
  snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu]", n);
  if (!cJSON_IsObject(entry))
    return berr(err, 0, "%s: must be an object {names, action, args}", field);
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(entry, "names");
  if (!cJSON_IsArray(names))
    return berr(err, 0, "%s.names: must be an array of syscall names", field);

  uint32_t action;
  char afield[80], efield[80];
  snprintf(afield, sizeof(afield), "%s.action", field);
  snprintf(efield, sizeof(efield), "%s.errnoRet", field);
  if (parse_action(cJSON_GetObjectItemCaseSensitive(entry, "action"),
                   cJSON_GetObjectItemCaseSensitive(entry, "errnoRet"), afield, efield, &action,
                   err) < 0)
    return -1;

  struct scmp_arg_cmp cmp[6];
  unsigned ncmp = 0, per_index[6] = {0};
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(entry, "args");
  if (args != NULL && !cJSON_IsNull(args)) {
    if (!cJSON_IsArray(args))
      return berr(err, 0, "%s.args: must be an array", field);
    if (cJSON_GetArraySize(args) > 6)
      return berr(err, 0, "%s.args: at most 6 argument conditions", field);
    const cJSON *a;
    cJSON_ArrayForEach(a, args)
    {
      char argfield[96];
      snprintf(argfield, sizeof(argfield), "%s.args[%u]", field, ncmp);
      if (parse_arg(a, argfield, &cmp[ncmp], err) < 0)
        return -1;
      per_index[cmp[ncmp].arg]++;
      ncmp++;
    }
  }
  /* libseccomp 2.5 cannot AND two conditions on the same argument; runc then adds each
   * condition as a rule of its own, so do the same. */
  bool split = false;
  for (int i = 0; i < 6; i++)
    split = split || per_index[i] > 1;

  /* A rule that does what the default does is redundant, and libseccomp refuses it. */
  if (action == default_action)
    return 0;

  const cJSON *it;
  cJSON_ArrayForEach(it, names)
  {
    if (!cJSON_IsString(it))
      return berr(err, 0, "%s.names: entries must be strings", field);
    int nr = seccomp_syscall_resolve_name(it->valuestring);
    if (nr == __NR_SCMP_ERROR) {
      log_msg(LOG_DEBUG, "seccomp: skipping unknown syscall %s", it->valuestring);
      continue;
    }
    int rc = 0;
    if (split) {
      for (unsigned i = 0; i < ncmp && rc == 0; i++)
        rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
    } else {
      rc = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
    }
    if (rc < 0)
      return berr(err, -rc, "%s: add rule for syscall %s", field, it->valuestring);
  }
  return 0;
}

/* The highest syscall number the profile names on one architecture, or -1. */
static int highest_named(const cJSON *syscalls, uint32_t arch)
{
  int max = -1;
  const cJSON *entry;
  cJSON_ArrayForEach(entry, syscalls)
  {
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(entry, "names");
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
      if (!cJSON_IsString(n))
        continue;
      int nr = seccomp_syscall_resolve_name_arch(arch, n->valuestring);
      if (nr > max)
        max = nr;
    }
  }
  return max;
}

#define X32_SYSCALL_BIT 0x40000000u

/* runc's ENOSYS stub, in front of libseccomp's program: on each architecture of the filter, a
 * syscall numbered above every syscall the profile names gets ENOSYS, so a libc that probes a
 * syscall newer than the profile (clone3, fchmodat2, ...) falls back instead of seeing EPERM. */
static int enosys_stub(const cJSON *syscalls, const uint32_t *archs, size_t narchs,
                       struct sock_filter **out, size_t *outlen, bottle_error_t *err)
{
  struct sock_filter *p = calloc(narchs * 6 + 2, sizeof(*p));
  if (p == NULL)
    return berr(err, ENOMEM, "seccomp: ENOSYS stub");
  size_t n = 0, blocks = 0;
  for (size_t i = 0; i < narchs; i++) {
    int max = highest_named(syscalls, archs[i]);
    if (max < 0)
      continue;
    uint32_t audit = archs[i], lo = 0, hi = 0xffffffffu;
    if (archs[i] == SCMP_ARCH_X86_64) {
      hi = X32_SYSCALL_BIT;
    } else if (archs[i] == SCMP_ARCH_X32) {
      audit = AUDIT_ARCH_X86_64;
      lo = X32_SYSCALL_BIT;
      max |= (int)X32_SYSCALL_BIT;
    }
    blocks++;
    /* Six instructions per block; every "no" jumps to the next block. */
    p[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit, 0, 4);
    p[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo, 0, 2);
    p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, hi, 1, 0);
    /* jt is patched below once the position of the ENOSYS return is known. */
    p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max, 0, 0);
  }
  if (blocks == 0) {
    free(p);
    *out = NULL;
    *outlen = 0;
    return 0;
  }
  size_t ret_at = n + 1;
  for (size_t b = 0; b < blocks; b++) {
    size_t at = b * 6 + 5;
    p[at].jt = (uint8_t)(ret_at - at - 1);
  }
  p[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
  p[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  *out = p;
  *outlen = n;
  return 0;
}

int seccomp_export(scmp_filter_ctx ctx, const struct sock_filter *prefix, size_t prefix_len,
                   struct seccomp_program *prog, bottle_error_t *err)
{
  cleanup_close int fd = memfd_create("bottle-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return berr(err, errno, "seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return berr(err, -rc, "seccomp: generate BPF");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berr(err, errno, "seccomp: stat BPF");
  if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
    return berr(err, EINVAL, "seccomp: libseccomp produced a malformed program");
  size_t len = (size_t)st.st_size / sizeof(struct sock_filter);
  if (prefix_len + len > BPF_MAXINSNS)
    return berr(err, E2BIG, "seccomp: filter has %zu instructions, the kernel allows %d",
                prefix_len + len, BPF_MAXINSNS);
  struct sock_filter *insns = calloc(prefix_len + len, sizeof(*insns));
  if (insns == NULL)
    return berr(err, ENOMEM, "seccomp: BPF buffer");
  if (prefix_len > 0)
    memcpy(insns, prefix, prefix_len * sizeof(*insns));
  if (pread(fd, insns + prefix_len, (size_t)st.st_size, 0) != st.st_size) {
    int e = errno;
    free(insns);
    return berr(err, e ? e : EIO, "seccomp: read BPF");
  }
  prog->insns = insns;
  prog->len = prefix_len + len;
  return 0;
}

int seccomp_filter_append(struct seccomp_filter **f, struct seccomp_program *prog,
                          bottle_error_t *err)
{
  if (*f == NULL) {
    *f = calloc(1, sizeof(**f));
    if (*f == NULL)
      return berr(err, ENOMEM, "seccomp: filter");
  }
  if ((*f)->count == SECCOMP_MAX_PROGRAMS)
    return berr(err, E2BIG, "seccomp: too many filters");
  (*f)->progs[(*f)->count++] = *prog;
  *prog = (struct seccomp_program){0};
  return 0;
}

int seccomp_compile(const cJSON *seccomp, struct seccomp_filter **out, bottle_error_t *err)
{
  *out = NULL;
  if (seccomp == NULL || cJSON_IsNull(seccomp))
    return 0;
  if (!cJSON_IsObject(seccomp))
    return berr(err, 0, "linux.seccomp: must be an object");
  const cJSON *listener = cJSON_GetObjectItemCaseSensitive(seccomp, "listenerPath");
  if (cJSON_IsString(listener) && listener->valuestring[0] != '\0')
    return berr(err, 0,
                "linux.seccomp.listenerPath: seccomp notify listeners are not supported by "
                "bottle; remove listenerPath and SCMP_ACT_NOTIFY rules");

  const cJSON *def = cJSON_GetObjectItemCaseSensitive(seccomp, "defaultAction");
  if (def == NULL)
    return berr(err, 0, "linux.seccomp.defaultAction: missing (e.g. \"SCMP_ACT_ERRNO\")");
  /* defaultErrnoRet applies to the default action only; a rule's errnoRet defaults to EPERM
   * (OCI runtime-spec, runc). */
  uint32_t default_action;
  if (parse_action(def, cJSON_GetObjectItemCaseSensitive(seccomp, "defaultErrnoRet"),
                   "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet", &default_action,
                   err) < 0)
    return -1;

  __attribute__((cleanup(seccomp_ctx_cleanup))) scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == NULL)
    return berr(err, EINVAL, "linux.seccomp: libseccomp refused the default action");
  /* Whether no_new_privs is set is the spec's decision (process.noNewPrivileges), not
   * libseccomp's. */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

  uint32_t archs[1 + sizeof(arch_names) / sizeof(arch_names[0])];
  size_t narchs = 0;
  archs[narchs++] = seccomp_arch_native();
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(seccomp, "architectures");
  if (arr != NULL && !cJSON_IsNull(arr)) {
    if (!cJSON_IsArray(arr))
      return berr(err, 0,
                  "linux.seccomp.architectures: must be an array like "
                  "[\"SCMP_ARCH_X86_64\"]");
    const cJSON *a;
    cJSON_ArrayForEach(a, arr)
    {
      uint32_t token;
      if (!cJSON_IsString(a) || seccomp_arch_token(a->valuestring, &token) < 0)
        return berr(err, 0, "linux.seccomp.architectures: unknown architecture %s%s%s",
                    cJSON_IsString(a) ? "\"" : "",
                    cJSON_IsString(a) ? a->valuestring : "(not a string)",
                    cJSON_IsString(a) ? "\"" : "");
      int rc = seccomp_arch_add(ctx, token);
      if (rc == -EEXIST)
        continue;
      if (rc < 0)
        return berr(err, -rc, "linux.seccomp.architectures: add %s", a->valuestring);
      archs[narchs++] = token;
    }
  }

  unsigned flags = 0;
  arr = cJSON_GetObjectItemCaseSensitive(seccomp, "flags");
  if (arr != NULL && !cJSON_IsNull(arr)) {
    if (!cJSON_IsArray(arr))
      return berr(err, 0, "linux.seccomp.flags: must be an array");
    const cJSON *fl;
    cJSON_ArrayForEach(fl, arr)
    {
      size_t i = 0;
      for (; cJSON_IsString(fl) && i < sizeof(filter_flags) / sizeof(filter_flags[0]); i++)
        if (strcmp(fl->valuestring, filter_flags[i].name) == 0)
          break;
      if (!cJSON_IsString(fl) || i == sizeof(filter_flags) / sizeof(filter_flags[0]))
        return berr(err, 0,
                    "linux.seccomp.flags: unsupported flag %s (use SECCOMP_FILTER_FLAG_TSYNC, "
                    "SECCOMP_FILTER_FLAG_LOG or SECCOMP_FILTER_FLAG_SPEC_ALLOW)",
                    cJSON_IsString(fl) ? fl->valuestring : "(not a string)");
      flags |= filter_flags[i].flag;
    }
  }

  const cJSON *syscalls = cJSON_GetObjectItemCaseSensitive(seccomp, "syscalls");
  if (syscalls != NULL && !cJSON_IsNull(syscalls) && !cJSON_IsArray(syscalls))
    return berr(err, 0, "linux.seccomp.syscalls: must be an array");
  size_t n = 0;
  const cJSON *entry;
  cJSON_ArrayForEach(entry, syscalls)
  {
    if (add_rules(ctx, entry, n++, default_action, err) < 0)
      return -1;
  }

  cleanup_free struct sock_filter *stub = NULL;
  size_t stub_len = 0;
  uint32_t def_kind = default_action & SECCOMP_RET_ACTION_FULL;
  if (def_kind != SCMP_ACT_ALLOW && def_kind != SCMP_ACT_LOG &&
      enosys_stub(syscalls, archs, narchs, &stub, &stub_len, err) < 0)
    return -1;

  struct seccomp_program prog = {.flags = flags};
  if (seccomp_export(ctx, stub, stub_len, &prog, err) < 0)
    return berr_wrap(err, "linux.seccomp");
  prog.flags = flags;
  if (seccomp_filter_append(out, &prog, err) < 0) {
    free(prog.insns);
    return -1;
  }
  return 0;
}

int seccomp_filter_load(struct seccomp_filter *f, bottle_error_t *err)
{
  if (f == NULL)
    return 0;
  for (size_t i = 0; i < f->count; i++) {
    struct sock_fprog fprog = {.len = (unsigned short)f->progs[i].len, .filter = f->progs[i].insns};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->progs[i].flags, &fprog) != 0) {
      int e = errno;
      if (e == EACCES)
        return berr(err, e,
                    "seccomp: load filter (needs no_new_privs or CAP_SYS_ADMIN: load it "
                    "before dropping capabilities)");
      if (e == EINVAL && f->progs[i].flags != 0)
        return berr(err, e, "seccomp: load filter (does this kernel support linux.seccomp.flags?)");
      return berr(err, e, "seccomp: load filter");
    }
  }
  return 0;
}

void seccomp_filter_free(struct seccomp_filter *f)
{
  if (f == NULL)
    return;
  for (size_t i = 0; i < f->count; i++)
    free(f->progs[i].insns);
  free(f);
}

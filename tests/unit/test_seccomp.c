/* runtime/seccomp*.c against the real kernel: every filter is loaded in a
 * forked child, which then makes syscalls and reports what the kernel said. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/security/security.h"
#include "tests/unit/seccomp_docker.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#define NETLINK_ROUTE 0
#define NETLINK_AUDIT 9
#define NETLINK_NETFILTER 12

#include "tests/unit/unit.h"

/* In a child: the syscall expression must fail with errno e. */
#define EXPECT_ERRNO(call, e)                                                                      \
  do {                                                                                             \
    errno = 0;                                                                                     \
    long r_ = (long)(call);                                                                        \
    int got_ = errno;                                                                              \
    if (r_ != -1 || got_ != (e)) {                                                                 \
      bad++;                                                                                       \
      fprintf(stderr, "not ok %s:%d: %s returned %ld errno %d (%s), want errno %d (%s)\n",         \
              __FILE__, __LINE__, #call, r_, got_, strerror(got_), (e), strerror(e));              \
    }                                                                                              \
  } while (0)
#define EXPECT_OK(call)                                                                            \
  do {                                                                                             \
    errno = 0;                                                                                     \
    long r_ = (long)(call);                                                                        \
    if (r_ < 0) {                                                                                  \
      bad++;                                                                                       \
      fprintf(stderr, "not ok %s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,                  \
              strerror(errno));                                                                    \
    }                                                                                              \
  } while (0)

static cJSON *json(const char *text)
{
  cJSON *j = cJSON_Parse(text);
  if (j == NULL) {
    fprintf(stderr, "bad test JSON: %s\n", text);
    exit(2);
  }
  return j;
}

static struct seccomp_filter *compile_ok(const char *text)
{
  cleanup_cjson cJSON *j = json(text);
  struct seccomp_filter *f = NULL;
  bottle_error_t err = {0};
  int rc = seccomp_compile(j, &f, &err);
  CHECK(rc == 0 && f != NULL, "compile %s: %s", text, err.set ? err.msg : "no filter");
  berr_clear(&err);
  return f;
}

static void compile_fails(const char *text, const char *want)
{
  cleanup_cjson cJSON *j = json(text);
  struct seccomp_filter *f = NULL;
  bottle_error_t err = {0};
  int rc = seccomp_compile(j, &f, &err);
  CHECK(rc == -1 && f == NULL && err.set && strstr(err.msg, want) != NULL,
        "compile %s should fail mentioning \"%s\", got rc %d: %s", text, want, rc,
        err.set ? err.msg : "(no error)");
  berr_clear(&err);
  seccomp_filter_free(f);
}

typedef int (*child_fn)(void);

/* SECCOMP_TEST_COMPILE_ONLY=1 (for valgrind, whose own syscalls a loaded filter would judge):
 * build and free every filter, but load none; the run then proves nothing about the kernel
 * and says so. */
static bool compile_only;
static int loads_skipped;

/* Loads f in a forked child and runs fn there; returns the wait status. */
static int in_child(struct seccomp_filter *f, child_fn fn)
{
  if (compile_only) {
    loads_skipped++;
    return -1;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(2);
  }
  if (pid == 0) {
    bottle_error_t err = {0};
    if (seccomp_filter_load(f, &err) < 0) {
      fprintf(stderr, "not ok: load: %s\n", err.msg);
      _exit(100);
    }
    /* A probe that blocks (a ptrace stop, say, with the filter missing) fails the check
     * instead of hanging the run. */
    alarm(60);
    _exit(fn() > 0 ? 1 : 0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

static void expect_child_ok(const char *what, struct seccomp_filter *f, child_fn fn)
{
  int st = in_child(f, fn);
  if (st != -1)
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status 0x%x", what, st);
}

static void expect_child_signal(const char *what, struct seccomp_filter *f, child_fn fn, int sig)
{
  int st = in_child(f, fn);
  if (st != -1)
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == sig, "%s: want death by signal %d, status 0x%x", what,
          sig, st);
}

/* ---- input validation ---- */

static void test_validation(void)
{
  struct seccomp_filter *f = (struct seccomp_filter *)1;
  bottle_error_t err = {0};
  CHECK(seccomp_compile(NULL, &f, &err) == 0 && f == NULL, "NULL seccomp means no filter");
  CHECK(seccomp_filter_load(NULL, &err) == 0, "loading no filter is a no-op");

  compile_fails("{}", "defaultAction");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_BOGUS\"}", "SCMP_ACT_BOGUS");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\"}",
                "listenerPath");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                "SCMP_ARCH_VAX");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_BOGUS\"]}",
                "SECCOMP_FILTER_FLAG_BOGUS");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
                "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                "syscalls[0].action");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
                "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                "args[0].index");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
                "\"op\":\"SCMP_CMP_ALMOST\"}]}]}",
                "SCMP_CMP_ALMOST");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}",
                "defaultErrnoRet");
  compile_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":"
                "\"SCMP_ACT_ERRNO\"}]}",
                "syscalls[0].names");

  /* Unknown names are skipped like runc, the known ones still apply. */
  f = compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
                 "\"no_such_syscall_at_all\",\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\","
                 "\"errnoRet\":42}]}");
  seccomp_filter_free(f);
}

/* ---- actions, errno values, arguments ---- */

static int child_getppid_errno42(void)
{
  int bad = 0;
  EXPECT_ERRNO(syscall(SYS_getppid), 42);
  EXPECT_OK(syscall(SYS_getpid));
  return bad;
}

static int child_default_enxio(void)
{
  int bad = 0;
  EXPECT_ERRNO(syscall(SYS_getuid), ENXIO);
  EXPECT_ERRNO(syscall(SYS_getpid), EPERM); /* errnoRet absent: EPERM */
  EXPECT_OK(syscall(SYS_getppid));
  return bad;
}

static int child_args(void)
{
  int bad = 0;
  /* MASKED_EQ: (fd & 0xf0) == 0x30. */
  EXPECT_ERRNO(syscall(SYS_dup, 0x35), 77);
  EXPECT_ERRNO(syscall(SYS_dup, 0x25), EBADF);
  /* Two conditions on one argument: separate rules (ORed), as runc does. */
  EXPECT_ERRNO(syscall(SYS_dup2, 5, 700), 78);
  EXPECT_ERRNO(syscall(SYS_dup2, 200, 700), 78);
  EXPECT_ERRNO(syscall(SYS_dup2, 50, 700), EBADF);
  /* Conditions on different arguments are ANDed. */
  EXPECT_ERRNO(syscall(SYS_dup3, 1000, 1001, 0), 79);
  EXPECT_ERRNO(syscall(SYS_dup3, 1000, 7, 0), EBADF);
  /* LT/LE/GE/NE */
  EXPECT_ERRNO(syscall(SYS_fchdir, 3000), 80);
  EXPECT_ERRNO(syscall(SYS_fchdir, 2000), EBADF);
  return bad;
}

static int child_getppid(void)
{
  syscall(SYS_getppid);
  return 0;
}

static int child_log_allows(void)
{
  int bad = 0;
  EXPECT_OK(syscall(SYS_getppid));
  return bad;
}

static void test_actions(void)
{
  struct seccomp_filter *f;
  f = compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}");
  expect_child_ok("errnoRet", f, child_getppid_errno42);
  seccomp_filter_free(f);

  f = compile_ok(
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":6,"
      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
      "\"syscalls\":[{\"names\":[\"exit_group\",\"exit\",\"write\",\"getppid\","
      "\"rt_sigreturn\",\"sigaltstack\",\"brk\",\"mmap\",\"munmap\",\"futex\"],\"action\":"
      "\"SCMP_ACT_ALLOW\"},{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
  expect_child_ok("defaultErrnoRet", f, child_default_enxio);
  seccomp_filter_free(f);

  f = compile_ok(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77,\"args\":[{\"index\":0,"
      "\"value\":240,\"valueTwo\":48,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
      "{\"names\":[\"dup2\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":78,\"args\":["
      "{\"index\":0,\"value\":100,\"op\":\"SCMP_CMP_GT\"},{\"index\":0,\"value\":5,\"op\":"
      "\"SCMP_CMP_EQ\"}]},"
      "{\"names\":[\"dup3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":79,\"args\":["
      "{\"index\":0,\"value\":1000,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1001,\"op\":"
      "\"SCMP_CMP_EQ\"}]},"
      "{\"names\":[\"fchdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":80,\"args\":["
      "{\"index\":0,\"value\":2500,\"op\":\"SCMP_CMP_GE\"},{\"index\":1,\"value\":1,\"op\":"
      "\"SCMP_CMP_NE\"}]}]}");
  expect_child_ok("argument comparisons", f, child_args);
  seccomp_filter_free(f);

  const char *killers[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                           "SCMP_ACT_TRAP"};
  for (size_t i = 0; i < sizeof(killers) / sizeof(killers[0]); i++) {
    char text[256];
    snprintf(text, sizeof(text),
             "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
             "\"action\":\"%s\"}]}",
             killers[i]);
    f = compile_ok(text);
    expect_child_signal(killers[i], f, child_getppid, SIGSYS);
    seccomp_filter_free(f);
  }

  f = compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
                 "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
                 "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"}]}");
  expect_child_ok("SCMP_ACT_LOG and filter flags", f, child_log_allows);
  seccomp_filter_free(f);

  /* Without the trace action's tracer, the kernel fails the syscall with ENOSYS. */
  f = compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getuid\"],"
                 "\"action\":\"SCMP_ACT_TRACE\"}]}");
  seccomp_filter_free(f);
}

/* ---- Docker's default profile ---- */

static cJSON *docker_profile(void)
{
  const char *top = getenv("BOTTLE_TOP");
  char path[4096];
  snprintf(path, sizeof(path), "%s/tests/fixtures/seccomp-docker-default.json", top ? top : ".");
  cleanup_fclose FILE *fp = fopen(path, "r");
  if (fp == NULL) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    exit(2);
  }
  cleanup_free char *text = NULL;
  size_t cap = 0;
  if (getdelim(&text, &cap, '\0', fp) < 0) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  return json(text);
}

#define DOCKER_CAPS_FMT                                                                            \
  "{\"bounding\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\","               \
  "\"CAP_MKNOD\",\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\","                   \
  "\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\","                      \
  "\"CAP_AUDIT_WRITE\"%s]}"

static struct seccomp_filter *docker_filter(const char *extra_caps, cJSON **oci_out)
{
  cleanup_cjson cJSON *profile = docker_profile();
  char caps_text[1024];
  snprintf(caps_text, sizeof(caps_text), DOCKER_CAPS_FMT, extra_caps);
  cleanup_cjson cJSON *caps = json(caps_text);
  cJSON *oci = NULL;
  bottle_error_t err = {0};
  CHECK(seccomp_from_docker_profile(profile, caps, &oci, &err) == 0, "convert: %s",
        err.set ? err.msg : "");
  struct seccomp_filter *f = NULL;
  CHECK(seccomp_compile(oci, &f, &err) == 0 && f != NULL, "compile docker profile: %s",
        err.set ? err.msg : "");
  berr_clear(&err);
  if (oci_out)
    *oci_out = oci;
  else
    cJSON_Delete(oci);
  return f;
}

static void test_docker_conversion(void)
{
  cJSON *oci = NULL;
  struct seccomp_filter *f = docker_filter("", &oci);
  seccomp_filter_free(f);
  const cJSON *def = cJSON_GetObjectItem(oci, "defaultAction");
  CHECK(cJSON_IsString(def) && strcmp(def->valuestring, "SCMP_ACT_ERRNO") == 0, "defaultAction");
  const cJSON *archs = cJSON_GetObjectItem(oci, "architectures");
  CHECK(cJSON_GetArraySize(archs) == 3, "x86_64 + x86 + x32 architectures, got %d",
        cJSON_GetArraySize(archs));
  /* runc-cli.md §9.5: 12 rule groups for the default caps on amd64. */
  const cJSON *sys = cJSON_GetObjectItem(oci, "syscalls");
  CHECK(cJSON_GetArraySize(sys) == 12, "12 rule groups, got %d", cJSON_GetArraySize(sys));
  cJSON_Delete(oci);

  f = docker_filter(",\"CAP_SYS_ADMIN\"", &oci);
  seccomp_filter_free(f);
  sys = cJSON_GetObjectItem(oci, "syscalls");
  bool clone3_errno = false, mount_allowed = false;
  const cJSON *g;
  cJSON_ArrayForEach(g, sys)
  {
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(g, "names"))
    {
      const char *action = cJSON_GetObjectItem(g, "action")->valuestring;
      if (strcmp(n->valuestring, "clone3") == 0 && strcmp(action, "SCMP_ACT_ERRNO") == 0)
        clone3_errno = true;
      if (strcmp(n->valuestring, "mount") == 0 && strcmp(action, "SCMP_ACT_ALLOW") == 0)
        mount_allowed = true;
    }
  }
  CHECK(!clone3_errno && mount_allowed, "CAP_SYS_ADMIN: clone3 allowed and mount allowed");
  cJSON_Delete(oci);
}

static int child_docker_default(void)
{
  int bad = 0;
  /* The child is root with every capability: EPERM here comes from the filter. */
  EXPECT_ERRNO(unshare(CLONE_NEWUSER), EPERM);
  EXPECT_ERRNO(unshare(CLONE_NEWNS), EPERM);
  EXPECT_ERRNO(mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
  EXPECT_ERRNO(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
  EXPECT_ERRNO(syscall(SYS_add_key, "user", "bottle", "x", 1, -1), EPERM);
  EXPECT_ERRNO(syscall(SYS_syslog, 3, NULL, 0), EPERM);
  return bad;
}

static int child_docker_ordinary(void)
{
  int bad = 0;
  EXPECT_OK(syscall(SYS_getpid));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_OK(fd);
  if (fd >= 0)
    close(fd);
  EXPECT_OK(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  /* fork uses clone without namespace flags: allowed by the masked rule. */
  pid_t pid = fork();
  if (pid == 0)
    _exit(7);
  int st = 0;
  EXPECT_OK(waitpid(pid, &st, 0));
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 7) {
    bad++;
    fprintf(stderr, "not ok: fork child status 0x%x\n", st);
  }
  /* clone3 gets ENOSYS (errnoRet 38) so libc falls back to clone. */
  EXPECT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
  /* The ENOSYS stub: syscalls newer than the profile (fchmodat2 = 452, and an unassigned
   * number) get ENOSYS, not the default EPERM. */
  EXPECT_ERRNO(syscall(452, AT_FDCWD, "/", 0755, 0), ENOSYS);
  EXPECT_ERRNO(syscall(1000), ENOSYS);
  return bad;
}

static int child_docker_sys_admin(void)
{
  int bad = 0;
  /* With CAP_SYS_ADMIN in the bounding set, the profile's includes allow these. */
  EXPECT_OK(unshare(CLONE_NEWUSER));
  errno = 0;
  long r = syscall(SYS_clone3, NULL, 0);
  if (r != -1 || errno == ENOSYS) {
    bad++;
    fprintf(stderr, "not ok: clone3 with CAP_SYS_ADMIN: %ld %s\n", r, strerror(errno));
  }
  return bad;
}

#if defined(__x86_64__)
static long int80(long nr)
{
  long ret = nr;
  __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
  return ret;
}

/* The i386 ABI is one of the profile's architectures: its getpid (20) is allowed, and its
 * stub block answers ENOSYS above the highest i386 syscall the profile names. */
static int child_docker_i386(void)
{
  int bad = 0;
  long pid = int80(20), high = int80(1000), keyctl = int80(288);
  if (pid != getpid() || high != -ENOSYS || keyctl != -EPERM) {
    bad++;
    fprintf(stderr, "not ok: i386 getpid %ld (want %d), nr 1000 %ld (want %d), keyctl %ld\n", pid,
            getpid(), high, -ENOSYS, keyctl);
  }
  return bad;
}

static int child_probe_i386(void)
{
  return int80(20) == getpid() ? 0 : 1;
}
#endif

static void test_docker_default(void)
{
  struct seccomp_filter *f = docker_filter("", NULL);
  expect_child_ok("docker default: blocked syscalls", f, child_docker_default);
  expect_child_ok("docker default: ordinary syscalls", f, child_docker_ordinary);
#if defined(__x86_64__)
  /* Only where the kernel runs i386 code (ia32_emulation may be off). */
  int st = compile_only ? -1 : in_child(NULL, child_probe_i386);
  if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
    expect_child_ok("docker default: i386 ABI", f, child_docker_i386);
  else
    printf("note: no i386 syscall ABI on this kernel; i386 stub check not run\n");
#endif
  seccomp_filter_free(f);

  f = docker_filter(",\"CAP_SYS_ADMIN\"", NULL);
  expect_child_ok("docker default with CAP_SYS_ADMIN", f, child_docker_sys_admin);
  seccomp_filter_free(f);
}

/* ---- egress hardening ---- */

/* The calls the hardening denies outright that reach the host's kernel, each with arguments the
 * kernel refuses before doing anything. The child is root with every capability, so the kernel's
 * own answer is never EPERM (ENOSYS where the kernel lacks the feature, as module loading here,
 * else EBADF, EFAULT or EINVAL): EPERM can only be the filter's. */
static int kernel_code_calls(bool filtered)
{
  int bad = 0;
  struct {
    const char *name;
    long rc;
    int err;
  } calls[9];
  int n = 0;
#define CALL(expr) (errno = 0, calls[n].rc = (expr), calls[n].err = errno, calls[n++].name = #expr)
  CALL(syscall(SYS_init_module, NULL, 0, ""));
  CALL(syscall(SYS_finit_module, -1, "", 0));
  CALL(syscall(SYS_delete_module, "bottle-no-such-module", 0));
  CALL(syscall(SYS_kexec_load, 0, 1000, NULL, 0xffff0000UL));    /* bad arch: EINVAL */
  CALL(syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0xff00UL)); /* bad flags: EINVAL */
  CALL(syscall(SYS_open_by_handle_at, -1, NULL, 0));
  CALL(syscall(SYS_bpf, 0, NULL, 0));
#if defined(__x86_64__) || defined(__i386__)
  CALL(syscall(SYS_ioperm, 0, 0, 0));
  CALL(syscall(SYS_iopl, 0));
#endif
#undef CALL
  for (int i = 0; i < n; i++) {
    bool ok = filtered ? calls[i].rc == -1 && calls[i].err == EPERM
                       : calls[i].rc == 0 || calls[i].err != EPERM;
    if (!ok) {
      bad++;
      fprintf(stderr, "not ok: %s = %ld, errno %d (%s); want %s\n", calls[i].name, calls[i].rc,
              calls[i].err, strerror(calls[i].err), filtered ? "EPERM" : "anything but EPERM");
    }
  }
  return bad;
}

static int child_kernel_unfiltered(void)
{
  return kernel_code_calls(false);
}

static int child_egress(void)
{
  int bad = 0;
  EXPECT_ERRNO(socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT);
  EXPECT_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
  EXPECT_ERRNO(socket(AF_XDP, SOCK_RAW, 0), EAFNOSUPPORT);
  EXPECT_ERRNO(socket(AF_APPLETALK, SOCK_DGRAM, 0), EAFNOSUPPORT);
  EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER), EAFNOSUPPORT);
  EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), EAFNOSUPPORT);
  /* Junk in the upper half of the register does not sneak AF_VSOCK through. */
  EXPECT_ERRNO(syscall(SYS_socket, 0x100000000L | AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT);
  /* The child is root with CAP_NET_RAW: EPERM here comes from the filter. */
  EXPECT_ERRNO(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
  EXPECT_ERRNO(socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW), EPERM);
  EXPECT_ERRNO(socket(AF_INET, SOCK_PACKET, 0), EPERM);
  EXPECT_ERRNO(syscall(SYS_io_uring_setup, 8, NULL), EPERM);
  EXPECT_ERRNO(syscall(SYS_io_uring_enter, 0, 0, 0, 0, NULL, 0), EPERM);
  EXPECT_ERRNO(syscall(SYS_io_uring_register, 0, 0, NULL, 0), EPERM);
  EXPECT_ERRNO(unshare(CLONE_NEWNET), EPERM);
  EXPECT_ERRNO(unshare(CLONE_NEWUSER), EPERM);
  EXPECT_ERRNO(unshare(CLONE_NEWNS | CLONE_NEWUSER), EPERM);
  EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM);
  EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0), EPERM);
  EXPECT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
  EXPECT_ERRNO(setns(0, CLONE_NEWNET), EPERM);
  /* A target of its own: with the hardening missing, attaching to the parent (the test
   * runner) would stop it and hang the run. */
  pid_t target = fork();
  if (target == 0) {
    pause();
    _exit(0);
  }
  EXPECT_ERRNO(syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, target, 0, 0), EPERM);
  EXPECT_ERRNO(syscall(SYS_process_vm_readv, target, NULL, 0, NULL, 0, 0), EPERM);
  kill(target, SIGKILL);
  waitpid(target, NULL, 0);
  EXPECT_ERRNO(syscall(SYS_pidfd_getfd, 0, 0, 0), EPERM);
  bad += kernel_code_calls(true);

  int fd;
  EXPECT_OK(fd = socket(AF_INET, SOCK_STREAM, 0));
  close(fd);
  EXPECT_OK(fd = socket(AF_INET6, SOCK_DGRAM, 0));
  close(fd);
  EXPECT_OK(fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP));
  close(fd);
  EXPECT_OK(fd = socket(AF_UNIX, SOCK_STREAM, 0));
  close(fd);
  EXPECT_OK(fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
  close(fd);
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  EXPECT_OK(waitpid(pid, NULL, 0));
  return bad;
}

static int child_egress_other_namespaces(void)
{
  int bad = 0;
  /* Only user and network namespaces are the hardening's business. */
  EXPECT_OK(unshare(CLONE_NEWUTS));
  return bad;
}

static int child_x32(void)
{
  syscall(0x40000000L | SYS_getpid);
  return 0;
}

static int child_int80(void)
{
#if defined(__x86_64__)
  long ret = 20; /* i386 getpid */
  __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
#endif
  return 0;
}

static void test_egress(void)
{
  struct seccomp_filter *f = NULL;
  bottle_error_t err = {0};
  CHECK(seccomp_add_egress_hardening(&f, &err) == 0 && f != NULL,
        "hardening without a spec filter: %s", err.set ? err.msg : "");
  expect_child_ok("hardening alone", f, child_egress);
  /* The control: without the filter the same calls never say EPERM here (root, every
   * capability), so "hardening alone" saw the filter's answer, not the kernel's. */
  if (geteuid() == 0)
    expect_child_ok("kernel-code calls unfiltered: not EPERM", NULL, child_kernel_unfiltered);
  expect_child_ok("hardening leaves other namespaces", f, child_egress_other_namespaces);
#if defined(__x86_64__)
  expect_child_signal("hardening kills x32", f, child_x32, SIGSYS);
  expect_child_signal("hardening kills int 0x80", f, child_int80, SIGSYS);
#endif
  seccomp_filter_free(f);

  /* On top of Docker's profile, which allows socket() and ptrace outright. */
  f = docker_filter(",\"CAP_SYS_ADMIN\",\"CAP_SYS_PTRACE\"", NULL);
  CHECK(seccomp_add_egress_hardening(&f, &err) == 0, "hardening on docker profile: %s",
        err.set ? err.msg : "");
  expect_child_ok("hardening on docker profile", f, child_egress);
  expect_child_ok("docker profile still works under hardening", f, child_docker_ordinary);
#if defined(__x86_64__)
  expect_child_signal("hardening kills x32 despite the profile", f, child_x32, SIGSYS);
#endif
  seccomp_filter_free(f);
  berr_clear(&err);
}

/* ---- the compiled-program cache ---- */

static int count_files(const char *dir)
{
  char cmd[512];
  snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '\\.bpf$'", dir);
  FILE *pp = popen(cmd, "r");
  int n = -1;
  if (pp) {
    if (fscanf(pp, "%d", &n) != 1)
      n = -1;
    pclose(pp);
  }
  return n;
}

static struct seccomp_filter *cached(const char *text, const char *dir)
{
  cleanup_cjson cJSON *j = json(text);
  struct seccomp_filter *f = NULL;
  bottle_error_t err = {0};
  CHECK(seccomp_compile_cached(j, dir, &f, &err) == 0 && f != NULL, "cached compile: %s",
        err.set ? err.msg : "no filter");
  berr_clear(&err);
  return f;
}

static const char *errno42 = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                             "[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}";
static const char *errno43 = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                             "[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":43}]}";

static int child_getppid_errno43(void)
{
  int bad = 0;
  EXPECT_ERRNO(syscall(SYS_getppid), 43);
  return bad;
}

static void test_cache(void)
{
  char dir[] = "/tmp/bottle-seccomp-cache.XXXXXX";
  if (mkdtemp(dir) == NULL) {
    CHECK(0, "mkdtemp: %s", strerror(errno));
    return;
  }
  char cache[64];
  snprintf(cache, sizeof(cache), "%s/c", dir);

  /* Miss: compiled and stored; hit: the same program, and it still behaves. */
  struct seccomp_filter *a = cached(errno42, cache);
  CHECK(count_files(cache) == 1, "one cache file after a miss, got %d", count_files(cache));
  struct seccomp_filter *b = cached(errno42, cache);
  struct seccomp_filter *plain = compile_ok(errno42);
  CHECK(count_files(cache) == 1, "a hit adds nothing");
  expect_child_ok("program from the cache", b, child_getppid_errno42);
  seccomp_filter_free(a);
  seccomp_filter_free(b);
  seccomp_filter_free(plain);

  /* Another profile's file under this profile's name (a hash collision, or tampering):
   * the stored key differs, so it is recompiled, never served. */
  struct seccomp_filter *c = cached(errno43, cache);
  seccomp_filter_free(c);
  char cmd[1024];
  snprintf(cmd, sizeof(cmd), "cd '%s' && set -- $(ls -t *.bpf) && [ $# = 2 ] && cp \"$1\" \"$2\"",
           cache);
  CHECK(system(cmd) == 0, "plant errno43's file under errno42's name");
  a = cached(errno42, cache);
  expect_child_ok("a foreign file under the name is not served", a, child_getppid_errno42);
  seccomp_filter_free(a);
  c = cached(errno43, cache);
  expect_child_ok("the other profile still gets its own", c, child_getppid_errno43);
  seccomp_filter_free(c);

  /* A group/world-writable file is not trusted. */
  snprintf(cmd, sizeof(cmd), "chmod 0666 '%s'/*.bpf", cache);
  CHECK(system(cmd) == 0, "chmod");
  a = cached(errno42, cache);
  expect_child_ok("writable cache file ignored", a, child_getppid_errno42);
  seccomp_filter_free(a);

  /* Docker's profile through the cache, twice. */
  cleanup_cjson cJSON *profile = docker_profile();
  cleanup_cjson cJSON *caps = json("{\"bounding\":[\"CAP_CHOWN\"]}");
  cJSON *oci = NULL;
  bottle_error_t err = {0};
  CHECK(seccomp_from_docker_profile(profile, caps, &oci, &err) == 0, "convert");
  for (int i = 0; i < 2; i++) {
    struct seccomp_filter *d = NULL;
    CHECK(seccomp_compile_cached(oci, cache, &d, &err) == 0, "docker profile via cache: %s",
          err.set ? err.msg : "");
    expect_child_ok("docker profile via cache", d, child_docker_default);
    seccomp_filter_free(d);
  }
  cJSON_Delete(oci);
  berr_clear(&err);

  /* No cache dir, or an unusable one: plain compile. */
  a = cached(errno42, NULL);
  seccomp_filter_free(a);
  a = cached(errno42, "/proc/bottle-no-such-dir/c");
  seccomp_filter_free(a);

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0, "cleanup");
}

int main(void)
{
  if (geteuid() != 0) {
    puts("skipped: needs root (unshare/mount probes must fail because of the filter)");
    return 77;
  }
  compile_only = getenv("SECCOMP_TEST_COMPILE_ONLY") != NULL;
  test_validation();
  test_actions();
  test_docker_conversion();
  test_docker_default();
  test_egress();
  test_cache();
  int rc = unit_finish();
  if (compile_only) {
    printf("compile-only mode: %d filter loads were not run; this run tested memory handling "
           "only\n",
           loads_skipped);
    return rc == 0 ? 77 : 1;
  }
  return rc;
}

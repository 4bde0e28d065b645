/* runtime/security/caps.c against the real kernel: each case runs in a forked child
 * (root), applies the sets and reads them back from /proc/self/status, before
 * and after execve. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/security/security.h"

#include "tests/unit/unit.h"

static cJSON *json(const char *text)
{
  cJSON *j = cJSON_Parse(text);
  if (j == NULL) {
    fprintf(stderr, "bad test JSON: %s\n", text);
    exit(2);
  }
  return j;
}

/* The value of a "CapXxx:" line of /proc/<self>/status text. */
static uint64_t cap_line(const char *status, const char *key)
{
  const char *p = strstr(status, key);
  if (p == NULL)
    return UINT64_MAX;
  return strtoull(p + strlen(key) + 1, NULL, 16);
}

static void read_status(char *buf, size_t size)
{
  cleanup_fclose FILE *f = fopen("/proc/self/status", "r");
  size_t n = f ? fread(buf, 1, size - 1, f) : 0;
  buf[n] = '\0';
}

static const char *docker_caps_json =
    "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\","
    "\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\",\"CAP_SETPCAP\","
    "\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]";

static uint64_t docker_mask(void)
{
  const int caps[] = {CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
                      CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
                      CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
                      CAP_KILL,    CAP_AUDIT_WRITE};
  uint64_t m = 0;
  for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
    m |= 1ULL << caps[i];
  return m;
}

/* What a child reports back: the five sets, after the runtime's calls. */
struct observed {
  int rc;
  char msg[512];
  uint64_t bnd, eff, prm, inh, amb;
  uint64_t exec_eff, exec_amb; /* from a program exec'd afterwards, when asked */
};

struct scenario {
  const char *caps;     /* process.capabilities JSON, or NULL */
  uid_t uid;            /* switch to this uid (with KEEPCAPS) before caps_apply */
  bool exec_afterwards; /* read the sets again from an exec'd /bin/sh */
};

static uint64_t exec_and_read(const char *key)
{
  int p[2];
  if (pipe(p) < 0)
    return UINT64_MAX;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    execl("/bin/sh", "sh", "-c", "cat /proc/self/status", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  char buf[8192];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof(buf) - 1 && (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = '\0';
  close(p[0]);
  waitpid(pid, NULL, 0);
  return cap_line(buf, key);
}

/* In the forked child: apply the scenario, then read the sets back. */
static struct observed observe_in_child(const struct scenario *s)
{
  struct observed o = {0};
  cleanup_cjson cJSON *caps = s->caps ? json(s->caps) : NULL;
  bottle_error_t err = {0};
  o.rc = caps_drop_bounding(caps, &err);
  if (o.rc == 0 && s->uid != 0) {
    gid_t gid = (gid_t)s->uid;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
        setresgid(gid, gid, gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0 ||
        prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
      o.rc = -2;
  }
  if (o.rc == 0)
    o.rc = caps_apply(caps, &err);
  if (err.set)
    snprintf(o.msg, sizeof(o.msg), "%.*s", (int)sizeof(o.msg) - 1, err.msg);
  berr_clear(&err);
  char status[8192];
  read_status(status, sizeof(status));
  o.bnd = cap_line(status, "CapBnd:");
  o.eff = cap_line(status, "CapEff:");
  o.prm = cap_line(status, "CapPrm:");
  o.inh = cap_line(status, "CapInh:");
  o.amb = cap_line(status, "CapAmb:");
  if (s->exec_afterwards && o.rc == 0) {
    o.exec_eff = exec_and_read("CapEff:");
    o.exec_amb = exec_and_read("CapAmb:");
  }
  return o;
}

static struct observed run(const struct scenario *s)
{
  int p[2];
  if (pipe(p) < 0)
    exit(2);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    struct observed o = observe_in_child(s);
    if (write(p[1], &o, sizeof(o)) != sizeof(o))
      _exit(3);
    _exit(0);
  }
  close(p[1]);
  struct observed o = {.rc = -99};
  if (read(p[0], &o, sizeof(o)) != sizeof(o))
    snprintf(o.msg, sizeof(o.msg), "child sent nothing");
  close(p[0]);
  waitpid(pid, NULL, 0);
  return o;
}

/* What the runtime path does with odd capability objects: a wrong shape fails naming the field;
 * names it does not know are ignored with runc's warning, as runc does (there is no stricter
 * validation on create). */
static void test_odd_capabilities(void)
{
  struct {
    const char *caps;
    const char *want; /* NULL: applied */
  } cases[] = {
      {"{\"bounding\":[\"CAP_NET_ADMIN\",\"CAP_CHECKPOINT_RESTORE\"]}", NULL},
      {"{}", NULL},
      {"{\"bounding\":[\"CAP_FOO\"]}", NULL},
      {"{\"effective\":[\"CAP_KILL\",\"NET_ADMIN\"],\"permitted\":[\"CAP_KILL\"]}", NULL},
      {"{\"ambient\":[\"CAP_\"]}", NULL},
      {"{\"permitted\":[\"CAP_chown\"]}", NULL},
      {"{\"permitted\":\"CAP_KILL\"}", "process.capabilities.permitted"},
      {"{\"inheritable\":[7]}", "process.capabilities.inheritable"},
      {"{\"bounds\":[]}", NULL},
      {"[\"CAP_KILL\"]", "process.capabilities"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct scenario sc = {.caps = cases[i].caps};
    struct observed o = run(&sc);
    if (cases[i].want == NULL)
      CHECK(o.rc == 0, "%s is applied (unknown names ignored): %s", cases[i].caps, o.msg);
    else
      CHECK(o.rc == -1 && strstr(o.msg, cases[i].want), "%s should fail mentioning %s, got %s",
            cases[i].caps, cases[i].want, o.rc == 0 ? "success" : o.msg);
  }
  struct scenario none = {.caps = NULL};
  struct observed o = run(&none);
  CHECK(o.rc == 0, "absent capabilities apply: %s", o.msg);
}

static void test_docker_default_as_root(void)
{
  char caps[1024];
  snprintf(caps, sizeof(caps), "{\"bounding\":%s,\"effective\":%s,\"permitted\":%s}",
           docker_caps_json, docker_caps_json, docker_caps_json);
  struct scenario s = {.caps = caps, .exec_afterwards = true};
  struct observed o = run(&s);
  uint64_t m = docker_mask();
  CHECK(o.rc == 0, "docker default caps: %s", o.msg);
  CHECK(o.bnd == m, "CapBnd %llx want %llx", (unsigned long long)o.bnd, (unsigned long long)m);
  CHECK(o.eff == m, "CapEff %llx want %llx", (unsigned long long)o.eff, (unsigned long long)m);
  CHECK(o.prm == m, "CapPrm %llx want %llx", (unsigned long long)o.prm, (unsigned long long)m);
  CHECK(o.inh == 0, "CapInh %llx want 0", (unsigned long long)o.inh);
  CHECK(o.amb == 0, "CapAmb %llx want 0", (unsigned long long)o.amb);
  /* uid 0 after execve: effective = permitted = bounding (what runc containers show). */
  CHECK(o.exec_eff == m, "after exec CapEff %llx want %llx", (unsigned long long)o.exec_eff,
        (unsigned long long)m);
}

static void test_all_dropped(void)
{
  struct scenario s = {.caps = NULL, .exec_afterwards = true};
  struct observed o = run(&s);
  CHECK(o.rc == 0, "no capabilities: %s", o.msg);
  CHECK(o.bnd == 0 && o.eff == 0 && o.prm == 0 && o.inh == 0 && o.amb == 0,
        "no capabilities: bnd %llx eff %llx prm %llx inh %llx amb %llx", (unsigned long long)o.bnd,
        (unsigned long long)o.eff, (unsigned long long)o.prm, (unsigned long long)o.inh,
        (unsigned long long)o.amb);
  CHECK(o.exec_eff == 0, "no capabilities after exec: %llx", (unsigned long long)o.exec_eff);
}

static void test_ambient_for_non_root(void)
{
  const char *caps = "{\"bounding\":[\"CAP_NET_BIND_SERVICE\",\"CAP_KILL\"],"
                     "\"effective\":[\"CAP_NET_BIND_SERVICE\"],"
                     "\"permitted\":[\"CAP_NET_BIND_SERVICE\",\"CAP_KILL\"],"
                     "\"inheritable\":[\"CAP_NET_BIND_SERVICE\"],"
                     "\"ambient\":[\"CAP_NET_BIND_SERVICE\"]}";
  struct scenario s = {.caps = caps, .uid = 1000, .exec_afterwards = true};
  struct observed o = run(&s);
  uint64_t nbs = 1ULL << CAP_NET_BIND_SERVICE, kill = 1ULL << CAP_KILL;
  CHECK(o.rc == 0, "ambient as uid 1000: %s", o.msg);
  CHECK(o.bnd == (nbs | kill), "CapBnd %llx", (unsigned long long)o.bnd);
  CHECK(o.eff == nbs, "CapEff %llx", (unsigned long long)o.eff);
  CHECK(o.prm == (nbs | kill), "CapPrm %llx", (unsigned long long)o.prm);
  CHECK(o.inh == nbs, "CapInh %llx", (unsigned long long)o.inh);
  CHECK(o.amb == nbs, "CapAmb %llx", (unsigned long long)o.amb);
  /* Only the ambient capability survives execve for a non-root user. */
  CHECK(o.exec_eff == nbs && o.exec_amb == nbs, "after exec as uid 1000: eff %llx amb %llx",
        (unsigned long long)o.exec_eff, (unsigned long long)o.exec_amb);
}

static void test_errors(void)
{
  struct scenario s = {.caps = "{\"bounding\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"],"
                               "\"ambient\":[\"CAP_KILL\"]}"};
  struct observed o = run(&s);
  /* runc 1.1.5 ignores an ambient capability the kernel refuses to raise (`runc spec`
   * lists ambient caps without inheritable ones); so does bottle. */
  CHECK(o.rc == 0 && o.amb == 0 && o.prm == (1ULL << CAP_KILL),
        "ambient without inheritable is ignored: rc %d amb %llx: %s", o.rc,
        (unsigned long long)o.amb, o.msg);

  s.caps = "{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
           "\"permitted\":[\"CAP_KILL\"]}";
  s.uid = 1000;
  o = run(&s);
  CHECK(o.rc == -1 && strstr(o.msg, "subset of permitted"),
        "effective beyond permitted should say so: %s", o.msg);

  /* runc 1.1.5 warns "ignoring unknown or unavailable capabilities" and goes on. */
  s.caps = "{\"bounding\":[\"CAP_NOPE\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\",\"CAP_NOPE\"],"
           "\"permitted\":[\"CAP_KILL\",\"cap_chown\"]}";
  s.uid = 0;
  o = run(&s);
  CHECK(o.rc == 0 && o.bnd == (1ULL << CAP_KILL) && o.eff == (1ULL << CAP_KILL) &&
            o.prm == (1ULL << CAP_KILL),
        "unknown names are skipped at apply time: rc %d bnd %llx eff %llx prm %llx %s", o.rc,
        (unsigned long long)o.bnd, (unsigned long long)o.eff, (unsigned long long)o.prm, o.msg);
}

int main(void)
{
  test_odd_capabilities();
  if (geteuid() != 0) {
    puts("skipped: needs root to change capability sets");
    return 77;
  }
  test_docker_default_as_root();
  test_all_dropped();
  test_ambient_for_non_root();
  test_errors();
  return unit_finish();
}

#include "runtime/container/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/security/security.h"
#include "runtime/lib/util.h"

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

int process_set_rlimits(const cJSON *process, bottle_error_t *err)
{
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(process, "rlimits"))
  {
    const char *type = json_str(r, "type", "");
    int res = -1;
    for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(*rlimit_names); i++)
      if (strcmp(type, rlimit_names[i].name) == 0)
        res = rlimit_names[i].resource;
    if (res < 0)
      return berr(err, 0, "process.rlimits: unknown type \"%s\" (use e.g. RLIMIT_NOFILE)", type);
    struct rlimit rl = {.rlim_cur = (rlim_t)json_double(r, "soft", 0),
                        .rlim_max = (rlim_t)json_double(r, "hard", 0)};
    if (setrlimit(res, &rl) < 0)
      return berr(err, errno, "error setting rlimit type %s", type);
  }
  return 0;
}

int process_listen_fds(void)
{
  const char *v = getenv("LISTEN_FDS");
  if (v == NULL)
    return 0;
  int n = atoi(v);
  return n > 0 ? n : 0;
}

int process_check_preserved_fds(int preserve_fds, bottle_error_t *err)
{
  int first = 3 + process_listen_fds();
  for (int i = 0; i < preserve_fds; i++)
    if (fcntl(first + i, F_GETFD) < 0)
      return berr(err, errno, "unable to stat preserved-fd %d (of %d)", i, preserve_fds);
  return 0;
}

/* Why an inherited socket is refused, NULL when it is not. A socket's netns says where an
 * inet (or netlink, packet) socket reaches; an AF_UNIX socket reaches whatever its peer is (a
 * host daemon's docker.sock, say), by path, whichever netns made it: every one is refused. */
static const char *socket_refused(int fd, const struct stat *netns)
{
  struct sockaddr_storage sa;
  socklen_t len = sizeof(sa);
  if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.ss_family == AF_UNIX)
    return "is a unix socket, which reaches whatever its peer is";
  cleanup_close int nsfd = ioctl(fd, SIOCGSKNS);
  struct stat st;
  if (nsfd < 0 || fstat(nsfd, &st) < 0)
    return "is a socket whose network namespace cannot be told";
  if (netns == NULL || st.st_dev != netns->st_dev || st.st_ino != netns->st_ino)
    return "is a socket of another network namespace than the agent's";
  return NULL;
}

int process_check_inherited_sockets(int preserve_fds, const char *netns, bottle_error_t *err)
{
  struct stat ns;
  if (netns != NULL && stat(netns, &ns) < 0)
    return berr(err, errno, "stat the agent's network namespace %s", netns);
  int listen = process_listen_fds();
  for (int fd = 3; fd < 3 + listen + preserve_fds; fd++) {
    struct stat st;
    const char *why =
        fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? socket_refused(fd, netns ? &ns : NULL) : NULL;
    if (why != NULL)
      return berr(err, 0,
                  "%s: fd %d %s, a way around the bottle's proxy; pass a bottled container no "
                  "socket (pipes and files are fine) or run it plain (bottle.json \"mode\": "
                  "\"plain\", or a trusted bottle.mode=plain)",
                  fd < 3 + listen ? "LISTEN_FDS" : "--preserve-fds", fd, why);
  }
  return 0;
}

void process_reset_signals(void)
{
  /* Straight to the kernel: glibc's sigaction refuses the two real-time signals it keeps
   * for itself (32, 33), and a caller that ignores them would pass SIG_IGN on through
   * execve. SIG_DFL needs no restorer, so the kernel's own struct layout is enough. */
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long long mask;
  } dfl = {SIG_DFL, 0, NULL, 0};
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof(dfl.mask));
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static bool setgroups_allowed(void)
{
  cleanup_free char *s = read_file_at(AT_FDCWD, "/proc/self/setgroups", NULL);
  return s == NULL || strncmp(s, "deny", 4) != 0;
}

/* runc's fixStdioPermissions: the container user must be able to reopen its
 * stdio through /dev/stdout. */
static void fix_stdio(uid_t uid)
{
  struct stat null_st;
  bool have_null = stat("/dev/null", &null_st) == 0;
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0)
      continue;
    if (have_null && st.st_rdev == null_st.st_rdev && S_ISCHR(st.st_mode))
      continue;
    if (st.st_uid == uid)
      continue;
    (void)fchown(fd, uid, (gid_t)-1); /* EINVAL/EPERM/EROFS are fine */
  }
}

static int set_user(const cJSON *user, bottle_error_t *err)
{
  uid_t uid = (uid_t)json_int(user, "uid", 0);
  gid_t gid = (gid_t)json_int(user, "gid", 0);
  const cJSON *ag = cJSON_GetObjectItemCaseSensitive(user, "additionalGids");
  gid_t groups[256];
  size_t n = 0;
  const cJSON *g;
  cJSON_ArrayForEach(g, ag) if (n < 256 && cJSON_IsNumber(g)) groups[n++] = (gid_t)g->valuedouble;
  if (setgroups_allowed() && setgroups(n, groups) < 0)
    return berr(err, errno, "setgroups");
  if (setresgid(gid, gid, gid) < 0)
    return berr(err, errno, "setgid %u", (unsigned)gid);
  if (setresuid(uid, uid, uid) < 0)
    return berr(err, errno, "setuid %u", (unsigned)uid);
  return 0;
}

static bool env_has(char **envp, const char *key)
{
  size_t k = strlen(key);
  for (; envp && *envp; envp++)
    if (strncmp(*envp, key, k) == 0 && (*envp)[k] == '=')
      return true;
  return false;
}

static const char *env_get(char **envp, const char *key)
{
  size_t k = strlen(key);
  for (; envp && *envp; envp++)
    if (strncmp(*envp, key, k) == 0 && (*envp)[k] == '=')
      return *envp + k + 1;
  return NULL;
}

static char *home_of(uid_t uid)
{
  FILE *f = fopen("/etc/passwd", "re");
  if (f == NULL)
    return xstrdup("/");
  char line[1024];
  char *home = NULL;
  while (fgets(line, sizeof(line), f)) {
    char *fields[7] = {0};
    char *save = NULL, *p = line;
    int i = 0;
    /* strsep keeps empty fields */
    while (i < 7 && (fields[i] = strsep(&p, ":")) != NULL)
      i++;
    (void)save;
    if (i < 6 || fields[2] == NULL)
      continue;
    if ((uid_t)strtoul(fields[2], NULL, 10) == uid && fields[5] && *fields[5]) {
      home = xstrdup(fields[5]);
      break;
    }
  }
  fclose(f);
  return home ? home : xstrdup("/");
}

static char **build_env(const cJSON *process, uid_t uid)
{
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(process, "env");
  int n = cJSON_IsArray(env) ? cJSON_GetArraySize(env) : 0;
  char **v = calloc((size_t)n + 4, sizeof(char *));
  if (v == NULL)
    abort();
  int k = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, env) if (cJSON_IsString(e)) v[k++] = xstrdup(e->valuestring);
  int listen = process_listen_fds();
  if (listen > 0) {
    v[k++] = xasprintf("LISTEN_FDS=%d", listen);
    v[k++] = xstrdup("LISTEN_PID=1");
  }
  v[k] = NULL;
  if (!env_has(v, "HOME")) {
    char *home = home_of(uid);
    v[k++] = xasprintf("HOME=%s", home);
    free(home);
    v[k] = NULL;
  }
  return v;
}

/* The credentials the container process will exec with, so that the lookup
 * can answer for them before set_user has switched to them. */
struct exec_creds {
  uid_t uid;
  gid_t gid;
  const cJSON *groups; /* user.additionalGids */
};

static bool in_groups(const struct exec_creds *c, gid_t gid)
{
  if (gid == c->gid)
    return true;
  const cJSON *g;
  cJSON_ArrayForEach(g, c->groups)
  {
    if (cJSON_IsNumber(g) && (gid_t)g->valuedouble == gid)
      return true;
  }
  return false;
}

/* X_OK for the container user, from stat and the mode bits (what Go's
 * exec.LookPath falls back to when faccessat2 is denied). No access(2),
 * faccessat(2) or faccessat2(2): glibc 2.33+ turns faccessat into faccessat2,
 * which seccomp profiles older than 2020 refuse with EPERM, and the check runs
 * as root before set_user anyway. Root may execute a file with any x bit. The
 * path is walked with root's search rights; a directory only the user cannot
 * search is then refused by execve itself ("exec <path>: permission denied"). */
static int check_executable(const char *path, const struct exec_creds *c)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return -1;
  mode_t bits;
  if (c->uid == 0)
    bits = S_IXUSR | S_IXGRP | S_IXOTH;
  else if (st.st_uid == c->uid)
    bits = S_IXUSR;
  else if (in_groups(c, st.st_gid))
    bits = S_IXGRP;
  else
    bits = S_IXOTH;
  if (S_ISDIR(st.st_mode) || (st.st_mode & bits) == 0) {
    errno = EACCES;
    return -1;
  }
  return 0;
}

/* Go's exec.LookPath wording, which dockerd and podman match on (§5.4). */
static char *lookup(const char *arg0, char **envp, const struct exec_creds *c, bottle_error_t *err)
{
  if (strchr(arg0, '/') != NULL) {
    if (check_executable(arg0, c) < 0) {
      int e = errno;
      if (e == ENOENT || e == ENOTDIR) {
        berr(err, e, "exec: \"%s\": stat %s", arg0, arg0);
        /* strerror gives "No such file or directory"; clients match lowercase */
      } else {
        berr(err, e, "exec: \"%s\"", arg0);
      }
      return NULL;
    }
    return xstrdup(arg0);
  }
  const char *path = env_get(envp, "PATH");
  if (path == NULL || *path == '\0')
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char *copy = xstrdup(path), *save = NULL;
  bool denied = false;
  char *found = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char *cand = xasprintf("%s/%s", *dir ? dir : ".", arg0);
    if (check_executable(cand, c) == 0) {
      found = cand;
      break;
    }
    if (errno == EACCES)
      denied = true;
    free(cand);
  }
  free(copy);
  if (found)
    return found;
  if (denied)
    berr(err, EACCES, "exec: \"%s\"", arg0);
  else
    berr(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
  return NULL;
}

/* Lowercase strerror text the way Go prints syscall errors. */
static void go_style(bottle_error_t *err)
{
  if (err == NULL || !err->set || err->errnum == 0)
    return;
  const char *s = strerror(err->errnum);
  char *hit = strstr(err->msg, s);
  if (hit && hit[0] >= 'A' && hit[0] <= 'Z')
    hit[0] = (char)(hit[0] - 'A' + 'a');
}

/* CVE-2024-21626: a cwd reached through a leaked host fd is outside our root. Checked
 * right after the chdir, before the seccomp filter is loaded when root could enter the
 * cwd (crun's order): a profile may deny getcwd. */
static int check_cwd_inside_root(bottle_error_t *err)
{
  char here[PATH_MAX];
  if (getcwd(here, sizeof(here)) != NULL) {
    if (here[0] == '/')
      return 0;
    errno = ENOENT; /* "(unreachable)..." from an older libc */
  }
  if (errno != ENOENT)
    return berr(err, errno, "check that the current working directory is inside the container");
  return berr(err, 0, "current working directory is outside of container mount namespace root");
}

int process_finalize(struct process_setup *p, bottle_error_t *err)
{
  const cJSON *proc = p->process;
  const cJSON *user = cJSON_GetObjectItemCaseSensitive(proc, "user");
  uid_t uid = (uid_t)json_int(user, "uid", 0);
  const struct exec_creds creds = {
      .uid = uid,
      .gid = (gid_t)json_int(user, "gid", 0),
      .groups = cJSON_GetObjectItemCaseSensitive(user, "additionalGids"),
  };
  bool nnp = json_bool(proc, "noNewPrivileges", false);
  const cJSON *caps = cJSON_GetObjectItemCaseSensitive(proc, "capabilities");
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(proc, "args");
  const char *arg0 = cJSON_GetArrayItem(args, 0)->valuestring;

  if (lsm_set_exec_label(proc, err) < 0)
    return -1;
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berr(err, errno, "set no_new_privs");
  /* As runc: enter the cwd while still root (it may be reachable only by
   * root, like /root for a non-root user), and once more as the user when
   * root was refused (root squashing on network filesystems). It is entered
   * before the seccomp filter is loaded, for the lookup below. */
  const char *cwd = json_str(proc, "cwd", "/");
  int cwd_errno = chdir(cwd) < 0 ? errno : 0;
  if (cwd_errno != 0 && cwd_errno != EACCES) {
    berr(err, cwd_errno, "chdir to cwd (\"%s\") set in config.json failed", cwd);
    go_style(err);
    return -1;
  }
  if (cwd_errno == 0 && check_cwd_inside_root(err) < 0)
    return -1;
  p->envp = build_env(proc, uid);
  /* args[0] is resolved before the seccomp filter is loaded (crun's order):
   * without NNP the filter must be loaded while we still hold CAP_SYS_ADMIN,
   * i.e. before set_user, so the lookup cannot wait for the user switch and
   * check_executable answers for the target uid/gid/additionalGids from the
   * mode bits. When root could not enter the cwd, a relative name can only be
   * resolved from the user's cwd, after set_user; stat is all it needs. */
  if (cwd_errno == 0 && (p->exec_path = lookup(arg0, p->envp, &creds, err)) == NULL) {
    go_style(err);
    return -1;
  }
  if (!nnp && p->seccomp != NULL && seccomp_filter_load(p->seccomp, err) < 0)
    return berr_wrap(err, "load seccomp filter");
  if (caps_drop_bounding(caps, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berr(err, errno, "keepcaps");
  fix_stdio(uid);
  if (set_user(user, err) < 0)
    return -1;
  if (caps_apply(caps, err) < 0)
    return -1;
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  const cJSON *um = cJSON_GetObjectItemCaseSensitive(user, "umask");
  umask(cJSON_IsNumber(um) ? (mode_t)um->valuedouble : 022);

  if (cwd_errno != 0 && chdir(cwd) < 0) {
    berr(err, errno, "chdir to cwd (\"%s\") set in config.json failed", cwd);
    go_style(err);
    return -1;
  }
  if (cwd_errno != 0 && check_cwd_inside_root(err) < 0)
    return -1;
  if (p->exec_path == NULL && (p->exec_path = lookup(arg0, p->envp, &creds, err)) == NULL) {
    go_style(err);
    return -1;
  }
  return 0;
}

int process_exec(struct process_setup *p, bottle_error_t *err)
{
  const cJSON *proc = p->process;
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(proc, "args");
  int n = cJSON_GetArraySize(args);
  char **argv = calloc((size_t)n + 1, sizeof(char *));
  if (argv == NULL)
    abort();
  for (int i = 0; i < n; i++)
    argv[i] = cJSON_GetArrayItem(args, i)->valuestring;
  if (json_bool(proc, "noNewPrivileges", false) && p->seccomp != NULL &&
      seccomp_filter_load(p->seccomp, err) < 0) {
    free(argv);
    return berr_wrap(err, "load seccomp filter");
  }
  process_reset_signals();
  close_range((unsigned)p->first_closed_fd, ~0U, CLOSE_RANGE_CLOEXEC);
  execve(p->exec_path, argv, p->envp);
  int e = errno;
  free(argv);
  berr(err, e, "exec %s", p->exec_path);
  go_style(err);
  return -1;
}

int process_set_oom_score(pid_t pid, const cJSON *process, bottle_error_t *err)
{
  const cJSON *adj = cJSON_GetObjectItemCaseSensitive(process, "oomScoreAdj");
  if (!cJSON_IsNumber(adj))
    return 0;
  char path[64], val[32];
  snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
  snprintf(val, sizeof(val), "%d", (int)adj->valuedouble);
  if (write_file_path(path, val) < 0)
    return berr(err, errno, "set oom_score_adj");
  return 0;
}

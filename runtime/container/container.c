#include "runtime/container/state.h"
#include "runtime/container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"
#include "runtime/container/console.h"
#include "runtime/container/joiner.h"
#include "runtime/container/hooks.h"
#include "runtime/container/init.h"
#include "runtime/lib/log.h"
#include "runtime/container/process.h"
#include "runtime/security/security.h"
#include "runtime/container/spec.h"
#include "runtime/container/sync.h"
#include "runtime/lib/util.h"

int write_pid_file(const char *path, pid_t pid, bottle_error_t *err)
{
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
  if (write_file_atomic_at(AT_FDCWD, path, buf, (size_t)n, 0644) < 0)
    return berr(err, errno, "write pid file %s", path);
  return 0;
}

static const struct {
  const char *name;
  int sig;
} signal_names[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int parse_signal(const char *s)
{
  if (s == NULL || *s == '\0')
    return -1;
  char *end = NULL;
  long n = strtol(s, &end, 10);
  if (*end == '\0')
    return (n > 0 && n < NSIG) ? (int)n : -1;
  const char *name = s;
  if (strncasecmp(name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof(signal_names) / sizeof(*signal_names); i++)
    if (strcasecmp(name, signal_names[i].name) == 0)
      return signal_names[i].sig;
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    int base = strncasecmp(name, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
    const char *off = name + 5;
    if (*off == '\0')
      return base;
    long k = strtol(off, &end, 10);
    if (*end == '\0' && base + k >= SIGRTMIN && base + k <= SIGRTMAX)
      return (int)(base + k);
  }
  return -1;
}

static const struct {
  const char *type;
  int flag;
  const char *own; /* our own namespace, to come back to after the clone */
} ns_kinds[] = {
    {"user", CLONE_NEWUSER, "/proc/self/ns/user"},
    {"ipc", CLONE_NEWIPC, "/proc/self/ns/ipc"},
    {"uts", CLONE_NEWUTS, "/proc/self/ns/uts"},
    {"network", CLONE_NEWNET, "/proc/self/ns/net"},
    {"pid", CLONE_NEWPID, "/proc/self/ns/pid_for_children"},
    {"cgroup", CLONE_NEWCGROUP, "/proc/self/ns/cgroup"},
    {"mount", CLONE_NEWNS, "/proc/self/ns/mnt"},
};

static const char *spec_namespace_path(const cJSON *config, int flag)
{
  for (size_t i = 0; i < sizeof(ns_kinds) / sizeof(*ns_kinds); i++)
    if (ns_kinds[i].flag == flag)
      return json_str(spec_namespace(config, ns_kinds[i].type), "path", "?");
  return "?";
}

static void leave_joined(const int *own_fds, const int *types, int n)
{
  for (int i = 0; i < n; i++)
    if (own_fds[i] >= 0 && setns(own_fds[i], types[i]) < 0)
      log_msg(LOG_WARNING, "cannot return to our own namespace (type 0x%x): %s", types[i],
              strerror(errno));
}

static int write_id_map(pid_t pid, const char *file, const cJSON *maps, bottle_error_t *err)
{
  char buf[4096] = "";
  size_t off = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, maps)
  {
    int n =
        snprintf(buf + off, sizeof(buf) - off, "%lld %lld %lld\n", json_int(m, "containerID", 0),
                 json_int(m, "hostID", 0), json_int(m, "size", 0));
    if (n < 0 || (size_t)n >= sizeof(buf) - off)
      return berr(err, E2BIG, "%s: too many mappings", file);
    off += (size_t)n;
  }
  cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, file);
  if (write_file_path(path, buf) < 0)
    return berr(err, errno, "write %s", path);
  return 0;
}

static int expect(int fd, enum sync_type want, bottle_error_t *err)
{
  enum sync_type t;
  cleanup_free char *text = NULL;
  if (sync_recv(fd, &t, &text) < 0)
    return berr(err, errno, "read from container init");
  if (t == want)
    return 0;
  if (t == SYNC_ERROR)
    return berr(err, 0, "unable to start container process: %s",
                text ? text : "container init failed");
  return berr(err, 0, "container init exited unexpectedly");
}

/* Moves fd to >= min so that it cannot collide with fds passed to the container. */
static int lift_fd(int fd, int min)
{
  if (fd < 0 || fd >= min)
    return fd;
  int n = fcntl(fd, F_DUPFD_CLOEXEC, min);
  close(fd);
  return n;
}

static bool is_own_user_ns(int fd)
{
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

static _Noreturn void joiner_fail(int report_fd, const char *what, const char *path)
{
  char msg[512];
  snprintf(msg, sizeof(msg), "%s%s%s: %s", what, *path ? " " : "", path, strerror(errno));
  sync_send(report_fd, SYNC_ERROR, msg);
  _exit(1);
}

/* Entering a user namespace cannot be undone (setns back into an ancestor user
 * namespace is refused) and entering a mount namespace resets root and cwd, so
 * a short-lived joiner enters the namespaces given by path, user first (as runc
 * does), and clones the init with CLONE_PARENT: the init is our child as on the
 * direct path, the joiner exits, and nothing stays between us and the init.
 * The joiner reports the init's pid (or its error) on the sync socket before
 * it exits; the init itself sends nothing before our first GO.
 * Returns 0 in the init, the init's pid here, -1 on error. */
static pid_t clone_via_joiner(const cJSON *config, const int *ns_fds, const int *ns_types, int nns,
                              int clone_flags, const int sync_pair[2], bottle_error_t *err)
{
  pid_t joiner = fork();
  if (joiner < 0)
    return berr(err, errno, "fork namespace joiner");
  if (joiner == 0) {
    for (int i = 0; i < nns; i++) {
      if (ns_types[i] == CLONE_NEWUSER && is_own_user_ns(ns_fds[i]))
        continue; /* setns into the user namespace we are in is EINVAL */
      if (setns(ns_fds[i], ns_types[i]) < 0)
        joiner_fail(sync_pair[1], "join namespace", spec_namespace_path(config, ns_types[i]));
    }
    pid_t init = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | CLONE_PARENT | SIGCHLD,
                                NULL, NULL, NULL, 0UL);
    if (init == 0)
      return 0;
    if (init < 0)
      joiner_fail(sync_pair[1], "clone container init", "");
    char pid_text[16];
    snprintf(pid_text, sizeof(pid_text), "%d", (int)init);
    sync_send(sync_pair[1], SYNC_GO, pid_text);
    _exit(0);
  }
  int status = 0;
  while (waitpid(joiner, &status, 0) < 0)
    if (errno != EINTR)
      return berr(err, errno, "wait for namespace joiner");
  if (!WIFEXITED(status))
    return berr(err, 0, "namespace joiner killed by signal %d", WTERMSIG(status));
  /* Exited, so its one message is queued already. */
  enum sync_type t;
  cleanup_free char *text = NULL;
  if (sync_recv(sync_pair[0], &t, &text) < 0)
    return berr(err, errno, "read from namespace joiner");
  if (t == SYNC_ERROR)
    return berr(err, 0, "%s", text ? text : "namespace joiner failed");
  if (t != SYNC_GO || text == NULL || atoi(text) <= 0)
    return berr(err, 0, "namespace joiner exited without reporting the init");
  return (pid_t)atoi(text);
}

/* Whether the init can build the rootfs outside a pid namespace joined by
 * path and enter it only after pivot_root (issue 9, item 1: before, anything
 * in that namespace with CAP_SYS_PTRACE could open the init's /proc/<pid>/root
 * while it was the host's). proc must then be bound to the namespace with
 * pidns= (Linux 6.15), which takes CAP_SYS_ADMIN over its owner: we are host
 * root, or in a joined user namespace that must be that owner. */
static bool late_pid_join_possible(const cJSON *config, int pidns_fd)
{
  if (spec_new_namespace(config, "user"))
    return false;
  if (spec_has_namespace(config, "user")) {
    const char *path = json_str(spec_namespace(config, "user"), "path", "");
    cleanup_close int owner = ioctl(pidns_fd, NS_GET_USERNS);
    struct stat a, b;
    if (owner < 0 || fstat(owner, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino ||
        a.st_dev != b.st_dev)
      return false;
  }
  cleanup_close int fs = fsopen("proc", FSOPEN_CLOEXEC);
  return fs >= 0 && fsconfig(fs, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) == 0;
}

/* The late pid namespace join: the init (*init) has built the rootfs and
 * waits. A joiner enters its namespaces and the pid namespace and starts the
 * container process (init_late_main), which is visible there only with the
 * container's root; we move it into the cgroup before it runs, and the init
 * exits. Returns the process's pid, with *sync now the parent end of its sync
 * socket, or -1 (the process, if any, killed). */
static pid_t start_late(struct init_ctx *ctx, struct container *c, pid_t *init, int pidns_fd,
                        int min_fd, int *sync, int *console_fd, struct cgroup *cg,
                        const cJSON *process, bottle_error_t *err)
{
  struct ns_joins ns;
  if (ns_joins_open(*init, pidns_fd, min_fd, &ns, err) < 0)
    return -1;
  sync_send(*sync, SYNC_GO, NULL);
  while (waitpid(*init, NULL, 0) < 0 && errno == EINTR)
    ;
  *init = -1;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    ns_joins_close(&ns);
    return berr(err, errno, "socketpair");
  }
  close(*sync);
  *sync = lift_fd(pair[0], min_fd);
  ctx->sync_fd = lift_fd(pair[1], min_fd);
  ctx->late_pidns_fd = -1;
  struct joiner jn = {.dirfd = c->dirfd,
                      .first_closed = ctx->first_closed_fd,
                      .keep = {ctx->sync_fd, ctx->fifo_fd, *console_fd},
                      .nkeep = 3,
                      .ns = &ns,
                      .sync = ctx->sync_fd,
                      .run = init_late_main,
                      .arg = ctx};
  pid_t pid = joiner_spawn(&jn, *sync, err);
  close(ctx->sync_fd);
  ns_joins_close(&ns);
  if (*console_fd >= 0) {
    close(*console_fd);
    *console_fd = -1;
  }
  if (pid < 0)
    return -1;
  char pid_text[16];
  snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
  if (cgroup_enter(cg, pid, err) < 0 || process_set_oom_score(pid, process, err) < 0 ||
      sync_send(*sync, SYNC_GO, pid_text) < 0 || expect(*sync, SYNC_READY, err) < 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    return -1;
  }
  return pid;
}

/* What a create holds while it runs, released by create_release (success) or undone by
 * create_undo (failure). */
struct create_run {
  const struct create_opts *o;
  cJSON *config;
  char *rootfs;
  struct seccomp_filter *filter;
  struct container *c;
  pid_t pid;
  int sync_pair[2];
  int fifo_fd, console_fd, late_pidns_fd;
  /* Namespaces joined by path are entered by the parent just around the
   * clone (and left again right after): the child inherits them before any
   * new user namespace exists, so joining works with and without one. */
  int ns_fds[8], ns_types[8], own_fds[8], nns;
  bool joined;
  int clone_flags;
  struct cgroup *cg;
  int first_closed, internal_min;
  struct init_ctx ctx;
};

/* The requests create refuses before it makes anything. */
static int create_check(const struct create_opts *o, const cJSON *config, bottle_error_t *err)
{
  if (process_check_preserved_fds(o->preserve_fds, err) < 0)
    return -1;
  if (spec_validate(config, err) < 0)
    return -1;
  bool terminal = json_bool(json_path(config, "process"), "terminal", false);
  if (terminal && o->console_socket == NULL && !o->has_console_peer)
    return berr(err, 0, "cannot allocate tty if bottle will detach without setting console socket");
  if (!terminal && o->console_socket != NULL)
    return berr(err, 0, "cannot use console socket if bottle will not detach or allocate tty");
  if (!spec_has_namespace(config, "mount"))
    return berr(err, 0, "linux.namespaces: a mount namespace (new or by path) is required");
  if (spec_has_namespace(config, "time"))
    return berr(err, 0, "linux.namespaces: time namespaces are not supported");
  return 0;
}

/* root.path made absolute (relative to the bundle) and resolved; malloc'd, NULL on error. */
static char *resolve_rootfs(const struct create_opts *o, const cJSON *config, bottle_error_t *err)
{
  const char *root_path = json_str(json_path(config, "root"), "path", "rootfs");
  cleanup_free char *rootfs =
      root_path[0] == '/' ? xstrdup(root_path) : xasprintf("%s/%s", o->bundle, root_path);
  char real[PATH_MAX];
  if (realpath(rootfs, real) == NULL) {
    berr(err, errno, "rootfs (%s)", rootfs);
    return NULL;
  }
  return xstrdup(real);
}

/* The spec's filter, and the egress hardening when asked for. */
static int compile_seccomp(const struct container_context *ctx, const struct create_opts *o,
                           const cJSON *config, struct seccomp_filter **filter, bottle_error_t *err)
{
  /* Compiling Docker's profile takes libseccomp ~10 ms; the cache under the
   * state root (a dot name, which list skips) serves byte-identical profiles. */
  cleanup_free char *seccomp_cache = xasprintf("%s/.seccomp-cache", ctx->state_root);
  if (seccomp_compile_cached(json_path(config, "linux.seccomp"), seccomp_cache, filter, err) < 0)
    return -1;
  if (o->egress_hardening && seccomp_add_egress_hardening(filter, err) < 0) {
    seccomp_filter_free(*filter);
    *filter = NULL;
    return -1;
  }
  return 0;
}

/* exec.fifo, the console socket and the sync socket pair, all above the fds the process keeps. */
static int open_channels(struct create_run *r, bottle_error_t *err)
{
  const struct create_opts *o = r->o;
  struct container *c = r->c;
  if (mkfifoat(c->dirfd, EXEC_FIFO, 0622) < 0 || fchmodat(c->dirfd, EXEC_FIFO, 0622, 0) < 0)
    return berr(err, errno, "create exec fifo");
  r->fifo_fd = lift_fd(openat(c->dirfd, EXEC_FIFO, O_PATH | O_CLOEXEC), r->internal_min);
  if (r->fifo_fd < 0)
    return berr(err, errno, "open exec fifo");
  bool terminal = json_bool(json_path(r->config, "process"), "terminal", false);
  if (terminal && o->console_socket == NULL && o->has_console_peer) {
    r->console_fd = fcntl(o->console_peer, F_DUPFD_CLOEXEC, r->internal_min);
    if (r->console_fd < 0)
      return berr(err, errno, "dup console socket");
  } else if (o->console_socket) {
    r->console_fd = lift_fd(console_connect(o->console_socket, err), r->internal_min);
    if (r->console_fd < 0)
      return -1;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sync_pair) < 0)
    return berr(err, errno, "socketpair");
  r->sync_pair[0] = lift_fd(r->sync_pair[0], r->internal_min);
  r->sync_pair[1] = lift_fd(r->sync_pair[1], r->internal_min);
  return 0;
}

/* The clone flags of the new namespaces, and an fd of each namespace given by path (with one of
 * ours of the same type, to come back to), or the pid namespace kept for the late join. */
static int open_namespaces(struct create_run *r, bottle_error_t *err)
{
  const cJSON *config = r->config;
  for (size_t i = 0; i < sizeof(ns_kinds) / sizeof(*ns_kinds); i++) {
    const cJSON *ns = spec_namespace(config, ns_kinds[i].type);
    if (ns == NULL)
      continue;
    const char *path = json_str(ns, "path", "");
    if (*path == '\0') {
      if (ns_kinds[i].flag != CLONE_NEWCGROUP)
        r->clone_flags |= ns_kinds[i].flag;
      continue;
    }
    int fd = lift_fd(open(path, O_RDONLY | O_CLOEXEC), r->internal_min);
    if (fd < 0)
      return berr(err, errno, "open %s namespace %s", ns_kinds[i].type, path);
    if (ns_kinds[i].flag == CLONE_NEWPID) {
      if (late_pid_join_possible(config, fd)) {
        r->late_pidns_fd = fd;
        continue;
      }
      log_msg(LOG_WARNING,
              "linux.namespaces: pid %s is joined before the rootfs is ready (no proc pidns= "
              "in this kernel, or a user namespace that does not own it): a process there with "
              "CAP_SYS_PTRACE can reach the host's root meanwhile",
              path);
    }
    r->ns_types[r->nns] = ns_kinds[i].flag;
    r->own_fds[r->nns] = open(ns_kinds[i].own, O_RDONLY | O_CLOEXEC);
    r->ns_fds[r->nns++] = fd;
    if (r->own_fds[r->nns - 1] < 0)
      return berr(err, errno, "open %s", ns_kinds[i].own);
  }
  return 0;
}

/* The cgroup, then a first state file, so that `delete --force` after a crash from here on
 * finds the cgroup to remove (the init pid is still 0: "stopped"). */
static int create_cgroup_and_state(struct create_run *r, const struct container_context *ctx,
                                   bottle_error_t *err)
{
  const struct create_opts *o = r->o;
  struct container *c = r->c;
  c->private_pidns = spec_new_namespace(r->config, "pid");
  c->egress_hardening = o->egress_hardening;
  if (cgroup_create(o->id, json_str(json_path(r->config, "linux"), "cgroupsPath", ""),
                    ctx->systemd_cgroup, json_path(r->config, "linux.resources"), &r->cg, err) < 0)
    return -1;
  c->cgroup = r->cg;
  c->bundle = xstrdup(o->bundle);
  c->rootfs = xstrdup(r->rootfs);
  char created[64];
  now_rfc3339(created, sizeof(created));
  c->created = xstrdup(created);
  return state_save(c, err);
}

/* Clones the init (directly, or through a joiner when a user or mount namespace is joined by
 * path) and closes what only the init keeps. */
static int clone_init(struct create_run *r, bottle_error_t *err)
{
  const struct create_opts *o = r->o;
  const cJSON *config = r->config;
  /* For pid, setns only changes what children get: we stay in ours, so the
   * init is reparented to the caller's subreaper when we exit. A user or
   * mount namespace joined by path is entered by a joiner process instead. */
  bool via_joiner = (spec_has_namespace(config, "user") && !spec_new_namespace(config, "user")) ||
                    !spec_new_namespace(config, "mount");
  r->joined = !via_joiner;
  for (int i = 0; i < r->nns && !via_joiner; i++)
    if (setns(r->ns_fds[i], r->ns_types[i]) < 0)
      return berr(err, errno, "join namespace %s", spec_namespace_path(config, r->ns_types[i]));

  r->ctx = (struct init_ctx){
      .id = o->id,
      .bundle = o->bundle,
      .rootfs = r->rootfs,
      .config = r->config,
      .seccomp = r->filter,
      .sync_fd = r->sync_pair[1],
      .fifo_fd = r->fifo_fd,
      .console_fd = r->console_fd,
      .new_userns = (r->clone_flags & CLONE_NEWUSER) != 0,
      .joined_userns = spec_has_namespace(config, "user") && !spec_new_namespace(config, "user"),
      .new_cgroupns = spec_new_namespace(config, "cgroup"),
      .new_netns = (r->clone_flags & CLONE_NEWNET) != 0,
      .no_pivot = o->no_pivot,
      .die_with_caller = o->die_with_caller,
      .no_new_keyring = o->no_new_keyring,
      .first_closed_fd = r->first_closed,
      .late_pidns_fd = r->late_pidns_fd,
      .stdio = {o->stdio ? o->stdio[0] : -1, o->stdio ? o->stdio[1] : -1,
                o->stdio ? o->stdio[2] : -1},
  };

  fflush(NULL);
  if (via_joiner)
    r->pid =
        clone_via_joiner(config, r->ns_fds, r->ns_types, r->nns, r->clone_flags, r->sync_pair, err);
  else
    r->pid =
        (pid_t)syscall(SYS_clone, (unsigned long)r->clone_flags | SIGCHLD, NULL, NULL, NULL, 0UL);
  if (r->pid == 0) {
    close(r->c->dirfd); /* the flock must not outlive create */
    int keep[7] = {r->sync_pair[1], r->fifo_fd,      r->console_fd,  r->late_pidns_fd,
                   r->ctx.stdio[0], r->ctx.stdio[1], r->ctx.stdio[2]};
    close_fds_except(r->first_closed, keep, 7);
    init_main(&r->ctx);
  }
  if (r->pid < 0) {
    if (!via_joiner) /* the joiner reported its own error */
      berr(err, errno, "clone container init");
    return -1;
  }
  log_msg(LOG_DEBUG, "create %s: init pid %d, clone flags 0x%x", o->id, (int)r->pid,
          r->clone_flags);
  if (r->joined)
    leave_joined(r->own_fds, r->ns_types, r->nns);
  r->joined = false;
  close(r->sync_pair[1]);
  r->sync_pair[1] = -1;
  if (r->console_fd >= 0 && r->late_pidns_fd < 0) { /* else the process started late needs it */
    close(r->console_fd);
    r->console_fd = -1;
  }
  return 0;
}

/* The parent's half of the init's set-up: id maps, cgroup, oom score, then the mounts, the
 * prestart and createRuntime hooks, and the init's READY; the late pid-namespace join last. */
static int drive_init(struct create_run *r, bottle_error_t *err)
{
  const cJSON *config = r->config;
  const cJSON *process = json_path(config, "process");
  if (r->clone_flags & CLONE_NEWUSER) {
    if (write_id_map(r->pid, "uid_map", json_path(config, "linux.uidMappings"), err) < 0 ||
        write_id_map(r->pid, "gid_map", json_path(config, "linux.gidMappings"), err) < 0)
      return -1;
  }
  if (cgroup_enter(r->cg, r->pid, err) < 0)
    return -1;
  if (process_set_oom_score(r->pid, process, err) < 0)
    return -1;
  sync_send(r->sync_pair[0], SYNC_GO, NULL);
  if (expect(r->sync_pair[0], SYNC_MOUNTS_DONE, err) < 0)
    return -1;
  {
    /* The environment exists, the init waits: "created", what `state` says now, as crun and
     * the spec's lifecycle (runc says "creating"; no engine's hook reads it, docs/runtime.md). */
    cleanup_free char *hs = hooks_state_json(config, r->o->id, "created", r->pid, r->o->bundle);
    if (hooks_run(config, "prestart", hs, err) < 0 ||
        hooks_run(config, "createRuntime", hs, err) < 0)
      return -1;
  }
  char pid_text[16];
  snprintf(pid_text, sizeof(pid_text), "%d", (int)r->pid);
  sync_send(r->sync_pair[0], SYNC_GO, pid_text);
  if (expect(r->sync_pair[0], SYNC_READY, err) < 0)
    return -1;
  if (r->late_pidns_fd >= 0) {
    pid_t init = r->pid;
    r->pid = start_late(&r->ctx, r->c, &init, r->late_pidns_fd, r->internal_min, &r->sync_pair[0],
                        &r->console_fd, r->cg, process, err);
    if (r->pid < 0) {
      r->pid = init; /* -1 once it has exited */
      return -1;
    }
  }
  return 0;
}

/* The container is created: its pid, start time and config in the state file, and the pid
 * file. The config and the cgroup belong to the container from here on. */
static int record_created(struct create_run *r, cJSON **config_owner, bottle_error_t *err)
{
  struct container *c = r->c;
  c->pid = r->pid;
  c->start_time = proc_start_time(r->pid, NULL);
  c->config = take_ptr(*config_owner);
  r->cg = NULL; /* owned by c */
  if (state_save(c, err) < 0)
    return -1;
  if (r->o->pidfd_socket && pidfd_send_to_socket(r->o->pidfd_socket, r->pid, "standard", err) < 0)
    return -1;
  if (r->o->pid_file && write_pid_file(r->o->pid_file, r->pid, err) < 0)
    return -1;
  return 0;
}

static void create_close_fds(struct create_run *r)
{
  for (int i = 0; i < 2; i++)
    if (r->sync_pair[i] >= 0)
      close(r->sync_pair[i]);
  if (r->fifo_fd >= 0)
    close(r->fifo_fd);
  if (r->console_fd >= 0)
    close(r->console_fd);
  if (r->late_pidns_fd >= 0)
    close(r->late_pidns_fd);
  for (int i = 0; i < r->nns; i++) {
    close(r->ns_fds[i]);
    if (r->own_fds[i] >= 0)
      close(r->own_fds[i]);
  }
  seccomp_filter_free(r->filter);
}

/* A failed create leaves nothing: the init killed, our namespaces back, the cgroup and the
 * state directory removed. */
static void create_undo(struct create_run *r)
{
  if (r->pid > 0) {
    kill(r->pid, SIGKILL);
    while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  if (r->joined)
    leave_joined(r->own_fds, r->ns_types, r->nns);
  create_close_fds(r);
  struct cgroup *cg = r->cg;
  if (r->c->cgroup != NULL)
    cg = take_ptr(r->c->cgroup);
  if (cg != NULL) {
    bottle_error_t e2 = {0};
    if (cgroup_destroy(cg, &e2) < 0)
      log_msg(LOG_WARNING, "cleanup: %s", e2.msg);
    cgroup_free(cg);
  }
  state_remove(r->c, NULL);
  container_free(r->c);
}

int container_load(const struct container_context *ctx, const char *id, bool lock,
                   struct container **out, bottle_error_t *err)
{
  return state_load(ctx->state_root, id, lock, out, err);
}

int container_create(const struct container_context *ctx, const struct create_opts *o,
                     struct container **out, bottle_error_t *err)
{
  cJSON *config = o->config;
  if (config == NULL && spec_load(NULL, &config, err) < 0)
    return -1;
  cleanup_cjson cJSON *config_owner = config;
  if (create_check(o, config, err) < 0)
    return -1;
  cleanup_free char *rootfs = resolve_rootfs(o, config, err);
  if (rootfs == NULL)
    return -1;
  struct seccomp_filter *filter = NULL;
  if (compile_seccomp(ctx, o, config, &filter, err) < 0)
    return -1;
  struct container *c = NULL;
  if (state_create(ctx->state_root, o->id, &c, err) < 0) {
    seccomp_filter_free(filter);
    return -1;
  }

  struct create_run r = {
      .o = o,
      .config = config,
      .rootfs = rootfs,
      .filter = filter,
      .c = c,
      .pid = -1,
      .sync_pair = {-1, -1},
      .fifo_fd = -1,
      .console_fd = -1,
      .late_pidns_fd = -1,
      .first_closed = 3 + process_listen_fds() + o->preserve_fds,
  };
  r.internal_min = r.first_closed + 16;
  for (int i = 0; i < 8; i++)
    r.ns_fds[i] = r.own_fds[i] = -1;

  if (open_channels(&r, err) < 0 || open_namespaces(&r, err) < 0 ||
      create_cgroup_and_state(&r, ctx, err) < 0 || clone_init(&r, err) < 0 ||
      drive_init(&r, err) < 0 || record_created(&r, &config_owner, err) < 0) {
    create_undo(&r);
    return -1;
  }
  log_msg(LOG_DEBUG, "create %s: created, waiting on exec.fifo", o->id);
  create_close_fds(&r);
  *out = c;
  return 0;
}

int container_start(struct container *c, container_gate_fn gate, bottle_error_t *err)
{
  enum status s = container_status(c);
  if (s == STATUS_RUNNING)
    return berr(err, 0, "cannot start an already running container");
  if (s == STATUS_STOPPED)
    return berr(err, 0, "cannot start a container that has stopped");
  if (s != STATUS_CREATED)
    return berr(err, 0, "cannot start a container in the %s state", status_name(s));
  if (gate != NULL && gate(c, err) < 0)
    return -1;
  int fd = openat(c->dirfd, EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return berr(err, errno, "open exec fifo");
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, 100);
    if (r < 0 && errno == EINTR)
      continue;
    if (r > 0) {
      char b;
      ssize_t n = read(fd, &b, 1);
      if (n == 1)
        break;
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      close(fd);
      return berr(err, 0, "container process is already dead");
    }
    if (!container_init_alive(c)) {
      close(fd);
      return berr(err, 0, "container process is already dead");
    }
  }
  close(fd);
  unlinkat(c->dirfd, EXEC_FIFO, 0);
  log_msg(LOG_DEBUG, "start %s: released init %d", c->id, (int)c->pid);
  cleanup_free char *hs = hooks_state_json(c->config, c->id, "running", c->pid, c->bundle);
  if (hooks_run(c->config, "poststart", hs, err) < 0) {
    container_kill(c, SIGKILL, false, NULL);
    return -1;
  }
  return 0;
}

int container_kill(struct container *c, int sig, bool all, bottle_error_t *err)
{
  enum status s = container_status(c);
  if (all) {
    if (c->cgroup == NULL) {
      if (s != STATUS_STOPPED && kill(c->pid, sig) < 0)
        return berr(err, errno, "kill");
      return 0;
    }
    if (cgroup_signal_all(c->cgroup, sig, err) < 0)
      return -1;
    if (s == STATUS_PAUSED && sig == SIGKILL)
      cgroup_freeze(c->cgroup, false, NULL);
    return 0;
  }
  if (s == STATUS_STOPPED)
    return berr(err, 0, "container not running");
  /* pidfd pins the process, then re-check it is still our init (pid reuse). */
  int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  if (pidfd < 0 || !container_init_alive(c)) {
    if (pidfd >= 0)
      close(pidfd);
    return berr(err, 0, "container not running");
  }
  int r = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
  int e = errno;
  close(pidfd);
  if (r < 0)
    return berr(err, e, "kill container init");
  if (s == STATUS_PAUSED && sig == SIGKILL && c->cgroup != NULL)
    cgroup_freeze(c->cgroup, false, NULL);
  return 0;
}

/* Waits up to ms for init to exit. A pidfd (opened while init was verified alive, so it is
 * ours and not a reused pid) becomes readable the moment it exits, where polling its
 * /proc entry in steps would add up to a step's worth of sleep to every delete. */
static void wait_gone(const struct container *c, int pidfd, int ms)
{
  if (pidfd >= 0) {
    struct timespec end, now;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (long)(ms % 1000) * 1000000L;
    for (;;) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      long left = (long)(end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
      if (left <= 0)
        return;
      struct pollfd p = {pidfd, POLLIN, 0};
      int r = poll(&p, 1, (int)left);
      if (r > 0 || (r < 0 && errno != EINTR))
        return;
    }
  }
  for (int waited = 0; waited < ms && container_init_alive(c); waited += 10) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

int container_destroy(struct container *c, bottle_error_t *err)
{
  int pidfd = c->pid > 0 ? (int)syscall(SYS_pidfd_open, c->pid, 0) : -1;
  if (container_init_alive(c)) {
    if (c->cgroup != NULL && cgroup_is_frozen(c->cgroup)) {
      container_kill(c, SIGKILL, false, NULL);
      cgroup_freeze(c->cgroup, false, NULL);
    } else {
      container_kill(c, SIGKILL, false, NULL);
    }
    wait_gone(c, pidfd, 10000);
  }
  if (pidfd >= 0)
    close(pidfd);
  if (c->cgroup != NULL) {
    if (!c->private_pidns)
      cgroup_signal_all(c->cgroup, SIGKILL, NULL);
    bottle_error_t e2 = {0};
    if (cgroup_destroy(c->cgroup, &e2) < 0) {
      log_msg(LOG_WARNING, "delete: %s", e2.msg);
    }
  }
  if (state_remove(c, err) < 0)
    return -1;
  cleanup_free char *hs = hooks_state_json(c->config, c->id, "stopped", 0, c->bundle);
  bottle_error_t he = {0};
  if (hooks_run(c->config, "poststop", hs, &he) < 0) {
    log_msg(LOG_WARNING, "%s", he.msg);
  }
  return 0;
}

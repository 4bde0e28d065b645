#include "runtime/container/init.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/container/console.h"
#include "runtime/container/hooks.h"
#include "runtime/container/process.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/security/security.h"
#include "runtime/container/spec.h"
#include "runtime/container/sync.h"
#include "runtime/lib/util.h"

static _Noreturn void fail(struct init_ctx *ctx, bottle_error_t *err)
{
  sync_send(ctx->sync_fd, SYNC_ERROR, (err && err->set) ? err->msg : "container init failed");
  _exit(1);
}

/* Returns the GO message's payload (may be NULL). */
static char *wait_go(struct init_ctx *ctx)
{
  enum sync_type t;
  char *text = NULL;
  if (sync_recv(ctx->sync_fd, &t, &text) < 0 || t != SYNC_GO)
    _exit(1); /* the parent gave up; it reports the error */
  return text;
}

static int loopback_up(bottle_error_t *err)
{
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return berr(err, errno, "socket for lo");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(s);
  return r < 0 ? berr(err, e, "bring up lo") : 0;
}

static int write_sysctls(const cJSON *config, bottle_error_t *err)
{
  const cJSON *kv;
  cJSON_ArrayForEach(kv, json_path(config, "linux.sysctl"))
  {
    if (!cJSON_IsString(kv))
      return berr(err, 0, "linux.sysctl.%s: value must be a string", kv->string);
    cleanup_free char *path = xasprintf("/proc/sys/%s", kv->string);
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
      if (*p == '.')
        *p = '/';
    if (write_file_path(path, kv->valuestring) < 0)
      return berr(err, errno, "write sysctl %s", kv->string);
  }
  return 0;
}

static int set_names(const cJSON *config, bottle_error_t *err)
{
  const char *h = json_str(config, "hostname", "");
  if (*h && sethostname(h, strlen(h)) < 0)
    return berr(err, errno, "sethostname %s", h);
  const char *d = json_str(config, "domainname", "");
  if (*d && setdomainname(d, strlen(d)) < 0)
    return berr(err, errno, "setdomainname %s", d);
  return 0;
}

static void join_session_keyring(const char *id)
{
  char name[300];
  snprintf(name, sizeof(name), "_ses.%s", id);
  /* KEYCTL_JOIN_SESSION_KEYRING; ENOSYS/EPERM (e.g. seccomp'd hosts) are fine. */
  (void)syscall(SYS_keyctl, 1, name);
}

/* The config's mounts with every proc mount bound to the pid namespace we
 * join only after pivot_root (Linux 6.15's pidns=): a proc mounted otherwise
 * would show the host's processes. */
static cJSON *late_proc_mounts(const cJSON *mounts, int pidns_fd, bottle_error_t *err)
{
  cJSON *copy = cJSON_Duplicate(mounts, true);
  cJSON *m;
  size_t index = 0;
  cJSON_ArrayForEach(m, copy)
  {
    if (strcmp(json_str(m, "type", ""), "proc") != 0) {
      index++;
      continue;
    }
    cJSON *opts = cJSON_GetObjectItemCaseSensitive(m, "options");
    if (opts == NULL)
      opts = cJSON_AddArrayToObject(m, "options");
    if (!cJSON_IsArray(opts)) {
      index++;
      continue; /* rootfs_mount names the error */
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, opts)
    {
      if (cJSON_IsString(o) && strncmp(o->valuestring, "pidns=", 6) == 0) {
        berr(err, 0,
             "mounts[%zu] (%s): the proc option pidns= is not allowed when the pid namespace is "
             "joined by path; remove it",
             index, json_str(m, "destination", ""));
        cJSON_Delete(copy);
        return NULL;
      }
    }
    char opt[48];
    snprintf(opt, sizeof(opt), "pidns=/proc/self/fd/%d", pidns_fd);
    cJSON_AddItemToArray(opts, cJSON_CreateString(opt));
    index++;
  }
  return copy;
}

static _Noreturn void init_finish(struct init_ctx *ctx, int host_pid);

static void set_stdio(struct init_ctx *ctx, bottle_error_t *err)
{
  for (int i = 0; i < 3; i++)
    if (ctx->stdio[i] > 2 && dup2(ctx->stdio[i], i) < 0) {
      berr(err, errno, "stdio: dup2 fd %d to %d", ctx->stdio[i], i);
      fail(ctx, err);
    }
  for (int i = 0; i < 3; i++) {
    bool seen = false;
    for (int j = 0; j < i; j++)
      seen |= ctx->stdio[j] == ctx->stdio[i];
    if (ctx->stdio[i] > 2 && !seen)
      close(ctx->stdio[i]);
  }
}

_Noreturn void init_main(struct init_ctx *ctx)
{
  bottle_error_t err = {0};
  const cJSON *config = ctx->config;

  /* Never dumpable: nothing in the container may open our /proc/<pid>/exe or fds. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Set before waiting for the parent's go: had it died already, the wait sees EOF. */
  prctl(PR_SET_PDEATHSIG, ctx->die_with_caller ? SIGKILL : 0, 0, 0, 0);
  setsid();
  /* The creator's choice of stdio (the sidecar's log), made here so that the runtime's own
   * fds 0-2 never change; the late init inherits it from this one. */
  set_stdio(ctx, &err);
  free(wait_go(ctx));

  /* After setns into a user namespace our ids may be unmapped there, and
   * files we create (mount points) would fail with EOVERFLOW. */
  if (ctx->new_userns || ctx->joined_userns) {
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      berr(&err, errno, "become root in the user namespace (is container uid 0 mapped?)");
      fail(ctx, &err);
    }
  }
  if (ctx->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
    berr(&err, errno, "unshare cgroup namespace");
    fail(ctx, &err);
  }
  if (ctx->new_netns && loopback_up(&err) < 0)
    fail(ctx, &err);
  if (set_names(config, &err) < 0 || write_sysctls(config, &err) < 0)
    fail(ctx, &err);

  cJSON *late_mounts = NULL;
  if (ctx->late_pidns_fd >= 0) {
    late_mounts = late_proc_mounts(cJSON_GetObjectItemCaseSensitive(config, "mounts"),
                                   ctx->late_pidns_fd, &err);
    if (late_mounts == NULL && err.set)
      fail(ctx, &err);
  }
  const cJSON *root = cJSON_GetObjectItemCaseSensitive(config, "root");
  struct rootfs_opts ro = {
      .rootfs = ctx->rootfs,
      .readonly = json_bool(root, "readonly", false),
      .no_pivot = ctx->no_pivot,
      .mounts = late_mounts ? late_mounts : cJSON_GetObjectItemCaseSensitive(config, "mounts"),
      .linux = cJSON_GetObjectItemCaseSensitive(config, "linux"),
      .userns = spec_has_namespace(config, "user"),
      .new_cgroupns = ctx->new_cgroupns,
      .mount_label = lsm_mount_label(cJSON_GetObjectItemCaseSensitive(config, "linux")),
  };
  if (rootfs_mount(&ro, &err) < 0)
    fail(ctx, &err);
  sync_send(ctx->sync_fd, SYNC_MOUNTS_DONE, NULL);
  /* The second GO carries our pid as the host sees it, for the hooks' state. */
  char *host_pid_text = wait_go(ctx);
  int host_pid = host_pid_text ? atoi(host_pid_text) : (int)getpid();
  free(host_pid_text);

  cleanup_free char *state = hooks_state_json(config, ctx->id, "created", host_pid, ctx->bundle);
  if (hooks_run(config, "createContainer", state, &err) < 0)
    fail(ctx, &err);
  if (rootfs_pivot(&ro, &err) < 0)
    fail(ctx, &err);
  if (ctx->late_pidns_fd >= 0) {
    /* The rootfs is done: the parent opens our namespaces for the joiner
     * that starts the container process, and its word lets us go. */
    close(ctx->late_pidns_fd);
    sync_send(ctx->sync_fd, SYNC_READY, NULL);
    enum sync_type t;
    (void)sync_recv(ctx->sync_fd, &t, NULL);
    _exit(0);
  }
  init_finish(ctx, host_pid);
}

void init_late_main(void *arg)
{
  struct init_ctx *ctx = arg;
  bottle_error_t err = {0};
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, ctx->die_with_caller ? SIGKILL : 0, 0, 0, 0);
  setsid();
  /* The GO (after the parent moved us into the cgroup) carries our host pid. */
  char *host_pid_text = wait_go(ctx);
  int host_pid = host_pid_text ? atoi(host_pid_text) : (int)getpid();
  free(host_pid_text);
  if (ctx->new_userns || ctx->joined_userns) {
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      berr(&err, errno, "become root in the user namespace (is container uid 0 mapped?)");
      fail(ctx, &err);
    }
  }
  init_finish(ctx, host_pid);
}

/* From the console to execve: the same for an init that built its own rootfs
 * and for one started after a late pid namespace join. */
static _Noreturn void init_finish(struct init_ctx *ctx, int host_pid)
{
  bottle_error_t err = {0};
  const cJSON *config = ctx->config;
  const cJSON *process = cJSON_GetObjectItemCaseSensitive(config, "process");
  const cJSON *user = cJSON_GetObjectItemCaseSensitive(process, "user");
  uid_t uid = (uid_t)json_int(user, "uid", 0);
  if (json_bool(process, "terminal", false)) {
    if (console_setup(ctx->console_fd, process, true, uid, &err) < 0)
      fail(ctx, &err);
    ctx->console_fd = -1;
  }
  if (process_set_rlimits(process, &err) < 0)
    fail(ctx, &err);
  if (!ctx->no_new_keyring)
    join_session_keyring(ctx->id);

  struct process_setup ps = {
      .process = process, .seccomp = ctx->seccomp, .first_closed_fd = ctx->first_closed_fd};
  if (process_finalize(&ps, &err) < 0)
    fail(ctx, &err);
  /* A new uid or gid (the sidecar's) cleared the parent-death signal: set it again, as runc
   * does. */
  if (ctx->die_with_caller)
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  sync_send(ctx->sync_fd, SYNC_READY, NULL);
  close(ctx->sync_fd);

  /* Block until `start` opens the fifo for reading. */
  char fifo_path[64];
  snprintf(fifo_path, sizeof(fifo_path), "/proc/self/fd/%d", ctx->fifo_fd);
  int fifo = open(fifo_path, O_WRONLY | O_CLOEXEC);
  if (fifo < 0)
    _exit(1);
  if (write(fifo, "0", 1) != 1)
    _exit(1);
  close(fifo);
  close(ctx->fifo_fd);

  cleanup_free char *state = hooks_state_json(config, ctx->id, "created", host_pid, ctx->bundle);
  if (hooks_run(config, "startContainer", state, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    _exit(1);
  }
  process_exec(&ps, &err);
  fprintf(stderr, "bottle: %s\n", err.set ? err.msg : "exec failed");
  _exit(127);
}

#include "runtime/bottle/sidecar.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/policy.h"
#include "runtime/bottle/bottled_proxyless.h"
#include "runtime/lib/cleanup.h"
#include "runtime/rootfs/safepath.h"
#include "runtime/lib/util.h"

/* overlayfs splits its options on ',' and lowerdir on ':'; a path holding either (or a
 * backslash escape) would be read as other options. */
static bool overlay_safe_path(const char *p)
{
  return strpbrk(p, ",:\\") == NULL;
}

/* The upper layer lives on a tmpfs of its own at dir: it goes with one unmount whatever the
 * state dir sits on, without the unlinks and the journal commit a disk-backed one costs. */
static int mount_layers(const char *dir, const char *lower_rootfs, const char *mnt,
                        bottle_error_t *err)
{
  if (mkdir_p(dir, 0700) < 0)
    return berr(err, errno, "sidecar rootfs: mkdir %s", dir);
  if (mount("tmpfs", dir, "tmpfs", MS_NODEV | MS_NOSUID | MS_NOEXEC, "mode=0700,size=4m") < 0)
    return berr(err, errno, "sidecar rootfs: mount a tmpfs on %s", dir);
  cleanup_free char *upper = xasprintf("%s/upper", dir);
  cleanup_free char *work = xasprintf("%s/work", dir);
  cleanup_free char *data =
      xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower_rootfs, upper, work);
  /* The merged root takes its owner and mode from the upper dir: the lower root's, so that
   * pipelock (SIDECAR_UID, without CAP_DAC_*) can walk it as the image meant. */
  struct stat lst;
  if (stat(lower_rootfs, &lst) < 0) {
    berr(err, errno, "sidecar rootfs: stat %s", lower_rootfs);
  } else if (mkdir(upper, 0700) < 0 || mkdir(work, 0700) < 0 || mkdir(mnt, 0700) < 0) {
    berr(err, errno, "sidecar rootfs: mkdir under %s", dir);
  } else if (chown(upper, lst.st_uid, lst.st_gid) < 0 || chmod(upper, lst.st_mode & 07777) < 0) {
    berr(err, errno, "sidecar rootfs: set the owner and mode of %s", upper);
  } else if (mount("overlay", mnt, "overlay", MS_NODEV | MS_NOSUID, data) < 0) {
    berr(err, errno, "sidecar rootfs: mount overlay of %s", lower_rootfs);
  } else {
    return 0;
  }
  umount2(dir, MNT_DETACH);
  return -1;
}

/* A file only pipelock may read: written by root (0600), then given to SIDECAR_UID/GID. */
static int own_file(int rootfd, const char *path, bottle_error_t *err)
{
  cleanup_close int fd =
      safepath_open(rootfd, path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0, err);
  if (fd < 0)
    return berr_wrap(err, "sidecar rootfs: open %s", path);
  if (fchown(fd, SIDECAR_UID, SIDECAR_GID) < 0)
    return berr(err, errno, "sidecar rootfs: chown %s", path);
  return 0;
}

int sidecar_rootfs_prepare(const char *dir, const char *lower_rootfs,
                           const struct sidecar_file *files, size_t nfiles, char **merged,
                           bottle_error_t *err)
{
  if (!overlay_safe_path(lower_rootfs) || !overlay_safe_path(dir))
    return berr(err, 0,
                "sidecar.bundle: %s: the path must not contain ',', ':' or '\\' (overlayfs "
                "options); move the pipelock bundle",
                lower_rootfs);
  cleanup_free char *mnt = xasprintf("%s/merged", dir);
  if (mount_layers(dir, lower_rootfs, mnt, err) < 0)
    return -1;
  cleanup_close int rootfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    berr(err, errno, "sidecar rootfs: open %s", mnt);
    goto fail;
  }
  for (size_t i = 0; i < nfiles; i++) {
    const char *slash = strrchr(files[i].path, '/');
    if (slash != NULL && slash != files[i].path) {
      cleanup_free char *parent = strndup(files[i].path, (size_t)(slash - files[i].path));
      int pfd = safepath_mkdirs(rootfd, parent, 0755, err);
      if (pfd < 0)
        goto fail;
      close(pfd);
    }
    if (safepath_write_file(rootfd, files[i].path, files[i].data, files[i].len, files[i].mode,
                            err) < 0) {
      berr_wrap(err, "sidecar rootfs: write %s", files[i].path);
      goto fail;
    }
    if (files[i].sidecar_owned && own_file(rootfd, files[i].path, err) < 0)
      goto fail;
  }
  *merged = take_ptr(mnt);
  return 0;
fail:
  umount2(mnt, MNT_DETACH);
  umount2(dir, MNT_DETACH);
  return -1;
}

int sidecar_rootfs_release(const char *dir, bottle_error_t *err)
{
  cleanup_free char *mnt = xasprintf("%s/merged", dir);
  if (umount2(mnt, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return berr(err, errno, "unmount sidecar rootfs %s", mnt);
  if (umount2(dir, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return berr(err, errno, "unmount %s", dir);
  if (rm_rf(dir) < 0 && errno != ENOENT)
    return berr(err, errno, "remove %s", dir);
  return 0;
}

static cJSON *strings(const char *const *v)
{
  cJSON *a = cJSON_CreateArray();
  for (; *v != NULL; v++)
    cJSON_AddItemToArray(a, cJSON_CreateString(*v));
  return a;
}

static cJSON *mount_entry(const char *dst, const char *type, const char *src,
                          const char *const *options)
{
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "destination", dst);
  cJSON_AddStringToObject(m, "type", type);
  cJSON_AddStringToObject(m, "source", src);
  cJSON_AddItemToObject(m, "options", strings(options));
  return m;
}

cJSON *sidecar_spec(const struct sidecar_spec_in *in)
{
  static const char *const env[] = {"PATH=/", NULL};
  static const char *const proc_opts[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const dev_opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
  static const char *const tmp_opts[] = {"nosuid",    "nodev",    "noexec",
                                         "mode=1777", "size=16m", NULL};
  static const char *const masked[] = {"/proc/acpi",
                                       "/proc/asound",
                                       "/proc/kcore",
                                       "/proc/keys",
                                       "/proc/latency_stats",
                                       "/proc/timer_list",
                                       "/proc/timer_stats",
                                       "/proc/sched_debug",
                                       "/proc/scsi",
                                       "/sys/firmware",
                                       NULL};
  static const char *const readonly[] = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

  cJSON *spec = cJSON_CreateObject();
  cJSON_AddStringToObject(spec, "ociVersion", "1.0.2");

  cJSON *process = cJSON_AddObjectToObject(spec, "process");
  cJSON_AddBoolToObject(process, "terminal", false);
  /* Who may open pipelock's /proc/<pid>/mem or environ (ptrace access): whoever has
   * CAP_SYS_PTRACE over it, or the same uid and gid, a permitted set that covers pipelock's and
   * (execve leaves it dumpable again whatever the init set) nothing more. So: no user namespace,
   * which bottle (root) would own, and the kernel gives the owner of a user namespace every
   * capability in it, CAP_SYS_PTRACE included, so any root process of the host could; an
   * unprivileged uid of the host's own, which a root agent without CAP_SYS_PTRACE does not
   * match; and one capability that Docker, podman and Kubernetes never grant: a process that
   * takes on SIDECAR_UID (CAP_SETUID, in Docker's default set) does not hold CAP_WAKE_ALARM, so
   * pipelock's permitted set is not a subset of its own. CAP_WAKE_ALARM only lets timers wake a
   * suspended machine. */
  static const char *const guard_cap[] = {"CAP_WAKE_ALARM", NULL};
  cJSON *user = cJSON_AddObjectToObject(process, "user");
  cJSON_AddNumberToObject(user, "uid", SIDECAR_UID);
  cJSON_AddNumberToObject(user, "gid", SIDECAR_GID);
  cJSON_AddItemToObject(user, "additionalGids", cJSON_CreateArray());
  cJSON_AddItemToObject(process, "args", strings((const char *const *)in->argv));
  cJSON_AddItemToObject(process, "env", strings(env));
  cJSON_AddStringToObject(process, "cwd", "/");
  cJSON *caps = cJSON_AddObjectToObject(process, "capabilities");
  const char *sets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
  for (size_t i = 0; i < sizeof(sets) / sizeof(*sets); i++)
    cJSON_AddItemToObject(caps, sets[i], strings(guard_cap));
  cJSON_AddBoolToObject(process, "noNewPrivileges", true);
  cJSON_AddNumberToObject(process, "oomScoreAdj", 0);
  cJSON *rlimits = cJSON_AddArrayToObject(process, "rlimits");
  cJSON *nofile = cJSON_CreateObject();
  cJSON_AddStringToObject(nofile, "type", "RLIMIT_NOFILE");
  cJSON_AddNumberToObject(nofile, "hard", 4096);
  cJSON_AddNumberToObject(nofile, "soft", 4096);
  cJSON_AddItemToArray(rlimits, nofile);

  cJSON *root = cJSON_AddObjectToObject(spec, "root");
  cJSON_AddStringToObject(root, "path", in->rootfs);
  cJSON_AddBoolToObject(root, "readonly", true);
  cJSON_AddStringToObject(spec, "hostname", "pipelock");

  cJSON *mounts = cJSON_AddArrayToObject(spec, "mounts");
  cJSON_AddItemToArray(mounts, mount_entry("/proc", "proc", "proc", proc_opts));
  cJSON_AddItemToArray(mounts, mount_entry("/dev", "tmpfs", "tmpfs", dev_opts));
  cJSON_AddItemToArray(mounts, mount_entry("/tmp", "tmpfs", "tmpfs", tmp_opts));
  if (in->egress_helper != NULL) {
    static const char *const helper_opts[] = {"bind", "ro", "nosuid", "nodev", NULL};
    cJSON_AddItemToArray(
        mounts, mount_entry(BOTTLED_EGRESS_HELPER, "bind", in->egress_helper, helper_opts));
  }

  cJSON *linux_ = cJSON_AddObjectToObject(spec, "linux");
  cJSON *nss = cJSON_AddArrayToObject(linux_, "namespaces");
  const char *own[] = {"pid", "mount", "ipc", "uts"};
  for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++) {
    cJSON *ns = cJSON_CreateObject();
    cJSON_AddStringToObject(ns, "type", own[i]);
    cJSON_AddItemToArray(nss, ns);
  }
  cJSON *net = cJSON_CreateObject();
  cJSON_AddStringToObject(net, "type", "network");
  if (in->netns != NULL)
    cJSON_AddStringToObject(net, "path", in->netns);
  cJSON_AddItemToArray(nss, net);
  if (in->cgroups_path != NULL)
    cJSON_AddStringToObject(linux_, "cgroupsPath", in->cgroups_path);
  cJSON *res = cJSON_AddObjectToObject(linux_, "resources");
  cJSON *cpu = cJSON_AddObjectToObject(res, "cpu");
  cJSON_AddNumberToObject(cpu, "quota", (double)in->cpu_quota_us);
  cJSON_AddNumberToObject(cpu, "period", (double)in->cpu_period_us);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(res, "memory"), "limit",
                          (double)in->memory_limit);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(res, "pids"), "limit", (double)in->pids_limit);
  cJSON_AddItemToObject(linux_, "maskedPaths", strings(masked));
  cJSON_AddItemToObject(linux_, "readonlyPaths", strings(readonly));
  return spec;
}

/* A TCP socket created inside the netns at path: the socket stays bound to that
 * namespace after the calling thread returns to its own. */
static int socket_in_netns(const char *path, bottle_error_t *err)
{
  cleanup_close int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  cleanup_close int target = open(path, O_RDONLY | O_CLOEXEC);
  if (self < 0 || target < 0)
    return berr(err, errno, "open network namespace %s", path);
  if (setns(target, CLONE_NEWNET) < 0)
    return berr(err, errno, "enter network namespace %s", path);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int saved = errno;
  if (setns(self, CLONE_NEWNET) < 0)
    abort(); /* never keep running in the wrong namespace */
  if (fd < 0)
    return berr(err, saved, "socket in %s", path);
  return fd;
}

/* A TCP connection from inside netns to sa, up before deadline: the socket, -2 when it is not
 * (yet), -1 on a hard error. */
static int connect_before(const char *netns, const struct sockaddr_in *sa, long long deadline,
                          bottle_error_t *err)
{
  cleanup_close int fd = socket_in_netns(netns, err);
  if (fd < 0)
    return -1;
  if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
    return take_fd(fd);
  if (errno != EINPROGRESS)
    return -2;
  for (long long left; (left = deadline - monotonic_ms()) > 0;) {
    struct pollfd p = {fd, POLLOUT, 0};
    int r = poll(&p, 1, left > 100 ? 100 : (int)left);
    if (r <= 0)
      continue;
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0)
      return -2;
    return take_fd(fd);
  }
  return -2;
}

/* One GET path from inside netns. The answer goes to buf (NUL-terminated): with full, all of
 * it up to cap-1 bytes (the server closes: Connection: close); else its first line only.
 * Returns the bytes read (> 0), 0 when there was no answer (yet), -1 on a hard error. */
static int http_get(const char *netns, const struct sockaddr_in *sa, const char *ip,
                    const char *path, long long deadline, char *buf, size_t cap, bool full,
                    bottle_error_t *err)
{
  buf[0] = '\0';
  cleanup_close int fd = connect_before(netns, sa, deadline, err);
  if (fd < 0)
    return fd == -1 ? -1 : 0;
  cleanup_free char *req =
      xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, ip);
  size_t n = strlen(req), sent = 0, got = 0;
  while (monotonic_ms() < deadline) {
    struct pollfd p = {fd, sent < n ? POLLOUT : POLLIN, 0};
    int left = (int)(deadline - monotonic_ms());
    if (poll(&p, 1, left > 100 ? 100 : left) <= 0)
      continue;
    if (p.revents & (POLLERR | POLLHUP) && !(p.revents & POLLIN))
      return 0;
    if (sent < n) {
      ssize_t w = send(fd, req + sent, n - sent, MSG_NOSIGNAL);
      if (w < 0)
        return 0;
      sent += (size_t)w;
      continue;
    }
    ssize_t r = read(fd, buf + got, cap - 1 - got);
    if (r < 0 || (r == 0 && got == 0))
      return 0;
    got += (size_t)r;
    buf[got] = '\0';
    if (r == 0 || got == cap - 1 || (!full && strchr(buf, '\n') != NULL))
      return (int)got;
  }
  return 0;
}

static bool status_200(const char *answer)
{
  return strncmp(answer, "HTTP/1.1 200", 12) == 0 || strncmp(answer, "HTTP/1.0 200", 12) == 0;
}

/* One attempt: 1 when the proxy is ready, 0 when not (yet), -1 on a hard error. The first line
 * of an HTTP answer that was not 200 is left in last (for the error once time is up). */
static int probe_once(const char *netns, const struct sockaddr_in *sa, const char *ip,
                      const char *path, long long deadline, char *last, size_t cap,
                      bottle_error_t *err)
{
  if (path[0] == '\0') {
    int fd = connect_before(netns, sa, deadline, err);
    if (fd >= 0)
      close(fd);
    return fd >= 0 ? 1 : fd == -1 ? -1 : 0;
  }
  char buf[128];
  int r = http_get(netns, sa, ip, path, deadline, buf, sizeof(buf), false, err);
  if (r <= 0)
    return r;
  if (status_200(buf))
    return 1;
  snprintf(last, cap, "%.*s", (int)strcspn(buf, "\r\n"), buf);
  return 0;
}

/* kill(pid, 0) succeeds on a zombie, and the sidecar's init is reaped only by whoever
 * inherited it (pid 1 or a subreaper), possibly much later: read the state instead. */
static bool process_gone(pid_t pid)
{
  bool zombie = false;
  return proc_start_time(pid, &zombie) == 0 || zombie;
}

/* "GET /health" or "a TCP connect", for errors. */
static char *probe_name(const char *path)
{
  return path[0] ? xasprintf("GET %s", path) : xstrdup("a TCP connect");
}

int sidecar_wait_ready(const char *netns, const char *ip, unsigned port, const char *path,
                       unsigned timeout_ms, pid_t pid, bottle_error_t *err)
{
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
    return berr(err, 0, "sidecar address %s is not IPv4", ip);
  long long deadline = monotonic_ms() + timeout_ms;
  char last[96] = "";
  while (monotonic_ms() < deadline) {
    int r = probe_once(netns, &sa, ip, path, deadline, last, sizeof(last), err);
    if (r != 0)
      return r > 0 ? 0 : -1;
    if (pid > 0 && process_gone(pid))
      return berr(err, 0,
                  "the pipelock sidecar exited before its proxy answered (check "
                  "sidecar.bundle and sidecar.args)");
    /* A refused probe costs microseconds; a long pause would be most of a bottle's wait. */
    struct timespec pause = {0, 2 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  cleanup_free char *what = probe_name(path);
  if (last[0] != '\0')
    return berr(err, 0,
                "the sidecar's proxy is not ready: %s on %s:%u answered \"%s\", not 200, for "
                "%u ms (sidecar.readiness says what answers readiness, "
                "sidecar.ready_timeout_ms how long to wait)",
                what, ip, port, last, timeout_ms);
  return berr(err, 0,
              "the sidecar's proxy is not ready: no answer to %s on %s:%u within %u ms "
              "(sidecar.ready_timeout_ms, sidecar.readiness)",
              what, ip, port, timeout_ms);
}

int sidecar_check_health(const char *netns, const char *ip, unsigned port, const char *path,
                         unsigned timeout_ms, bottle_error_t *err)
{
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
    return berr(err, 0, "sidecar address %s is not IPv4", ip);
  long long deadline = monotonic_ms() + timeout_ms;
  if (path[0] == '\0') {
    cleanup_close int fd = connect_before(netns, &sa, deadline, err);
    if (fd == -1)
      return -1;
    if (fd < 0)
      return berr(err, 0, "proxy health: no connection to %s:%u within %u ms", ip, port,
                  timeout_ms);
    return 0;
  }
  char buf[4096];
  int r = http_get(netns, &sa, ip, path, deadline, buf, sizeof(buf), true, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return berr(err, 0, "proxy health: no answer to GET %s on %s:%u within %u ms", path, ip, port,
                timeout_ms);
  if (!status_200(buf))
    return berr(err, 0, "proxy health: GET %s on %s:%u answered \"%.*s\", not 200", path, ip, port,
                (int)strcspn(buf, "\r\n"), buf);
  /* Another proxy's page says nothing bottle can read; pipelock's says what it enforces. */
  if (strcmp(path, SIDECAR_PIPELOCK_HEALTH) != 0)
    return 0;
  const char *body = strstr(buf, "\r\n\r\n");
  cleanup_cjson cJSON *j = body ? cJSON_Parse(body + 4) : NULL;
  const char *mode = json_str(j, "mode", "(none)");
  const cJSON *fwd = cJSON_GetObjectItemCaseSensitive(j, "forward_proxy_enabled");
  if (strcmp(mode, "strict") != 0)
    return berr(err, 0,
                "proxy health: the proxy on %s:%u reports mode \"%s\", not \"strict\": it is "
                "not enforcing bottle's allowlist",
                ip, port, mode);
  if (!cJSON_IsTrue(fwd))
    return berr(err, 0,
                "proxy health: the proxy on %s:%u reports forward_proxy_enabled %s, not true: it "
                "is not running bottle's configuration",
                ip, port, cJSON_IsFalse(fwd) ? "false" : "(none)");
  return 0;
}

char *sidecar_log_tail(const char *path, size_t max_bytes)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return xstrdup("(no sidecar log)");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return xstrdup("(no sidecar log)");
  off_t start = st.st_size > (off_t)max_bytes ? st.st_size - (off_t)max_bytes : 0;
  char *buf = calloc(1, max_bytes + 1);
  if (buf == NULL)
    abort();
  ssize_t n = pread(fd, buf, max_bytes, start);
  if (n <= 0) {
    free(buf);
    return xstrdup("(empty sidecar log)");
  }
  buf[n] = '\0';
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\n' && i != n - 1)
      buf[i] = '|';
  if (buf[n - 1] == '\n')
    buf[n - 1] = '\0';
  return buf;
}

/* "nameserver A" for an IPv4 or IPv6 literal A outside loopback (127/8, ::1), which is the host's
 * own and cannot be reached from the sidecar's netns. */
static bool usable_nameserver(const char *line)
{
  char addr[64];
  if (sscanf(line, "nameserver %63s", addr) != 1)
    return false;
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr, buf) == 1)
    return buf[0] != 127;
  return inet_pton(AF_INET6, addr, buf) == 1 && !IN6_IS_ADDR_LOOPBACK((struct in6_addr *)buf);
}

/* The usable part of a resolv.conf the host wrote: its nameservers outside loopback, its search
 * and options lines. NULL when no nameserver is left. */
static char *host_resolv_part(const char *path)
{
  cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
  if (text == NULL)
    return NULL;
  char *out = xstrdup("");
  bool any = false;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    bool ns = strncmp(line, "nameserver", 10) == 0;
    if (ns ? !usable_nameserver(line)
           : strncmp(line, "search", 6) != 0 && strncmp(line, "options", 7) != 0)
      continue;
    any |= ns;
    char *n = xasprintf("%s%s\n", out, line);
    free(out);
    out = n;
  }
  if (!any) {
    free(out);
    return NULL;
  }
  return out;
}

/* The sidecar's resolv.conf. Never the agent's own (a bind mount of a file the agent can write,
 * which under CRI outlives a container restart): network.dns, else the host's resolvers as the
 * runtime sees them (systemd-resolved's upstream list when /etc/resolv.conf names only its
 * loopback stub, as dockerd does). With Docker's hook the sidecar sits in the container's own
 * netns, where Docker's embedded DNS (127.0.0.11, user-defined networks: container names, and
 * --dns as its upstream) answers when Docker set it up; nothing else can listen there. */
char *sidecar_resolv_conf(const struct bottle_config *cfg, bool engine_hook, bottle_error_t *err)
{
  if (cfg->n_dns > 0) {
    char *s = xstrdup("");
    for (size_t i = 0; i < cfg->n_dns; i++) {
      uint32_t a = cfg->dns[i];
      char *n = xasprintf("%snameserver %u.%u.%u.%u\n", s, a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                          a & 255);
      free(s);
      s = n;
    }
    return s;
  }
  cleanup_free char *host = host_resolv_part("/etc/resolv.conf");
  if (host == NULL)
    host = host_resolv_part("/run/systemd/resolve/resolv.conf");
  if (host == NULL) {
    berr(err, 0,
         "%s: network.dns is not set and neither the host's /etc/resolv.conf nor "
         "systemd-resolved's /run/systemd/resolve/resolv.conf names a resolver the sidecar can "
         "reach (only loopback ones, or none); set network.dns to the resolvers "
         "pipelock should use (docs/configuration.md)",
         cfg->source);
    return NULL;
  }
  if (engine_hook)
    return xasprintf("nameserver 127.0.0.11\n%s", host);
  return take_ptr(host);
}

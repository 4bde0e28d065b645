#include "netns/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Leases are files <state_dir>/leases/<network-address> holding the owner's name, taken
 * and released under an exclusive flock on <state_dir>/uplink.lock. The same lock guards
 * the host's shared nftables table. */

int nn_pool_lock(const char *state_dir, bottle_error_t *err)
{
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/uplink.lock", nn_state_dir(state_dir));
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return berr(err, errno, "open %s", path);
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR) {
      int e = errno;
      close(fd);
      return berr(err, e, "lock %s", path);
    }
  }
  return fd;
}

void nn_pool_unlock(int fd)
{
  if (fd >= 0)
    close(fd);
}

static void lease_path(const char *state_dir, struct nn_cidr c, char *out, size_t len)
{
  char ip[16];
  nn_ip_str(c.addr, ip);
  snprintf(out, len, "%s/leases/%s", nn_state_dir(state_dir), ip);
}

int nn_lease_take(const char *state_dir, const char *pool, const char *name, struct nl_sock *host,
                  struct nn_cidr *out, bottle_error_t *err)
{
  struct nn_cidr p;
  if (nn_cidr_parse(pool, &p) < 0 || p.prefix > 30)
    return berr(err, EINVAL, "uplink_pool '%s': need an IPv4 CIDR with prefix <= 30", pool);
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s/leases", nn_state_dir(state_dir));
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return berr(err, errno, "mkdir %s", dir);
  int lock = nn_pool_lock(state_dir, err);
  if (lock < 0)
    return -1;
  int rc = 1; /* until a free /30 is found */
  struct nn_cidr c;
  for (uint32_t i = 0; nn_cidr_slot(p, i, &c); i++) {
    char path[PATH_MAX];
    lease_path(state_dir, c, path, sizeof(path));
    if (access(path, F_OK) == 0)
      continue;
    bool used = false;
    if (nn_subnet_in_use(host, c, &used, err) < 0) {
      rc = berr_wrap(err, "uplink_pool");
      break;
    }
    if (used)
      continue;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      rc = berr(err, errno, "lease %s", path);
      break;
    }
    bool ok = write(fd, name, strlen(name)) == (ssize_t)strlen(name);
    close(fd);
    if (!ok) {
      unlink(path);
      rc = berr(err, EIO, "lease %s", path);
      break;
    }
    *out = c;
    rc = 0;
    break;
  }
  nn_pool_unlock(lock);
  if (rc > 0)
    rc = berr(err, ENOSPC,
              "uplink_pool %s: every /30 is leased or in use on the host (widen the pool or "
              "tear down stale bottles)",
              pool);
  return rc;
}

static bool lease_owner_is(const char *path, const char *name)
{
  char buf[NETNS_NAME_MAX + 2] = "";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n > 0 && (buf[n] = '\0', strcmp(buf, name) == 0);
}

int nn_lease_release(const char *state_dir, struct nn_cidr lease, const char *name,
                     bottle_error_t *err)
{
  char path[PATH_MAX];
  lease_path(state_dir, lease, path, sizeof(path));
  int lock = nn_pool_lock(state_dir, err);
  if (lock < 0)
    return -1;
  int rc = 0;
  if (lease_owner_is(path, name) && unlink(path) < 0 && errno != ENOENT)
    rc = berr(err, errno, "release %s", path);
  nn_upstream_forwarding_restore(state_dir);
  nn_pool_unlock(lock);
  return rc;
}

/* Drops leases without a record (owner NULL) or held by owner. */
static int drop_leases(const char *state_dir, const char *owner_only, bottle_error_t *err)
{
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s/leases", nn_state_dir(state_dir));
  DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : berr(err, errno, "open %s", dir);
  int lock = nn_pool_lock(state_dir, err);
  if (lock < 0) {
    closedir(d);
    return -1;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[PATH_MAX + 256], owner[NETNS_NAME_MAX + 2] = "", rec[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    ssize_t n = read(fd, owner, sizeof(owner) - 1);
    close(fd);
    owner[n > 0 ? n : 0] = '\0';
    if (owner_only != NULL) {
      if (strcmp(owner, owner_only) == 0)
        unlink(path);
      continue;
    }
    /* A lease is taken before its record is written: one without a record is a crash's. */
    if (nn_check_name(owner, NULL) < 0 || nn_record_path(state_dir, owner, rec, sizeof(rec)) < 0 ||
        access(rec, F_OK) < 0)
      unlink(path);
  }
  closedir(d);
  nn_upstream_forwarding_restore(state_dir);
  nn_pool_unlock(lock);
  return 0;
}

int nn_lease_gc(const char *state_dir, bottle_error_t *err)
{
  return drop_leases(state_dir, NULL, err);
}

int nn_lease_drop_owner(const char *state_dir, const char *name, bottle_error_t *err)
{
  return drop_leases(state_dir, name, err);
}

/* Replies to masqueraded traffic are routed in from the host's upstream interface, and IPv4
 * forwards a packet only when its input interface has forwarding on. So the interfaces of
 * the host's default routes get conf.<if>.forwarding=1 (not the global switch) while any
 * uplink lease exists; <state_dir>/forwarding remembers what was changed, and the release
 * of the last lease puts it back. Callers hold the pool lock. */
static void forwarding_path(const char *state_dir, char *out, size_t len)
{
  snprintf(out, len, "%s/forwarding", nn_state_dir(state_dir));
}

static int read_sysctl_char(const char *path)
{
  char c = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, &c, 1);
  close(fd);
  return n == 1 ? c : -1;
}

int nn_upstream_forwarding(const char *state_dir, struct nl_sock *host, bottle_error_t *err)
{
  char devs[8][IFNAMSIZ];
  int n = nn_default_route_devs(host, devs, 8, err);
  if (n < 0)
    return -1;
  char rec[PATH_MAX];
  forwarding_path(state_dir, rec, sizeof(rec));
  for (int i = 0; i < n; i++) {
    char path[256];
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", devs[i]);
    if (read_sysctl_char(path) != '0')
      continue;
    FILE *f = fopen(rec, "ae");
    if (f == NULL)
      return berr(err, errno, "write %s", rec);
    /* The global switch is recorded too: setting it later (dockerd's first start does)
     * turns every interface's forwarding on, and the restore must not undo that. */
    fprintf(f, "%s 0 %c\n", devs[i], read_sysctl_char("/proc/sys/net/ipv4/ip_forward"));
    if (fclose(f) != 0)
      return berr(err, errno, "write %s", rec);
    char key[256];
    snprintf(key, sizeof(key), "net/ipv4/conf/%s/forwarding", devs[i]);
    if (nn_sysctl_set(key, "1", err) < 0)
      return berr_wrap(err, "upstream forwarding");
  }
  return 0;
}

/* Puts back what nn_upstream_forwarding changed once no lease is left. */
void nn_upstream_forwarding_restore(const char *state_dir)
{
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s/leases", nn_state_dir(state_dir));
  DIR *d = opendir(dir);
  if (d != NULL) {
    struct dirent *e;
    bool any = false;
    while (!any && (e = readdir(d)) != NULL)
      any = e->d_name[0] != '.';
    closedir(d);
    if (any)
      return;
  }
  char rec[PATH_MAX];
  forwarding_path(state_dir, rec, sizeof(rec));
  FILE *f = fopen(rec, "re");
  if (f == NULL)
    return;
  char global_now = read_sysctl_char("/proc/sys/net/ipv4/ip_forward");
  char line[128];
  while (fgets(line, sizeof(line), f) != NULL) {
    char dev[IFNAMSIZ + 1], old[8], global_then = '?';
    if (sscanf(line, "%16s %7s %c", dev, old, &global_then) < 2)
      continue;
    if (global_then == '0' && global_now == '1')
      continue; /* someone switched forwarding on host-wide since: leave it on */
    char key[96];
    snprintf(key, sizeof(key), "net/ipv4/conf/%s/forwarding", dev);
    nn_sysctl_set(key, old, NULL); /* an interface that went away needs nothing */
  }
  fclose(f);
  unlink(rec);
}

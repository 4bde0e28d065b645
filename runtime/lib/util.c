#include "runtime/lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"

char *xstrdup(const char *s)
{
  char *d = strdup(s ? s : "");
  if (d == NULL)
    abort();
  return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  return s;
}

char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = xvasprintf(fmt, ap);
  va_end(ap);
  return s;
}

int mkdir_p(const char *path, mode_t mode)
{
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if (mkdir(buf, mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

char *read_fd_all(int fd, size_t *len)
{
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL)
    abort();
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (buf == NULL)
        abort();
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      errno = e;
      return NULL;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

char *read_file_at(int dirfd, const char *path, size_t *len)
{
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  char *s = read_fd_all(fd, len);
  int e = errno;
  close(fd);
  errno = e;
  return s;
}

int write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      if (w == 0)
        errno = EIO;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode)
{
  return write_file_atomic_owned_at(dirfd, name, data, len, mode, (uid_t)-1, (gid_t)-1);
}

int write_file_atomic_owned_at(int dirfd, const char *name, const char *data, size_t len,
                               mode_t mode, uid_t uid, gid_t gid)
{
  char tmp[PATH_MAX];
  const char *slash = strrchr(name, '/');
  if (slash)
    snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp", (int)(slash - name), name, slash + 1);
  else
    snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
  unlinkat(dirfd, tmp, 0);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 ||
      ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)) {
    int e = errno;
    close(fd);
    unlinkat(dirfd, tmp, 0);
    errno = e;
    return -1;
  }
  close(fd);
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    errno = e;
    return -1;
  }
  return 0;
}

int write_file_path(const char *path, const char *data)
{
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int r = write_all(fd, data, strlen(data));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  if (remove(p) < 0 && errno != ENOENT)
    return -1;
  return 0;
}

int rm_rf(const char *path)
{
  struct stat st;
  if (lstat(path, &st) < 0)
    return -1;
  return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

char *abs_path(const char *path)
{
  if (path == NULL)
    return NULL;
  if (path[0] == '/')
    return xstrdup(path);
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == NULL)
    return xstrdup(path);
  if (strcmp(path, ".") == 0)
    return xstrdup(cwd);
  return xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
}

long long json_int(const cJSON *o, const char *key, long long dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

double json_double(const cJSON *o, const char *key, double dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

const char *json_str(const cJSON *o, const char *key, const char *dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : dflt;
}

bool json_bool(const cJSON *o, const char *key, bool dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

const cJSON *json_path(const cJSON *o, const char *dotted)
{
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", dotted);
  char *save = NULL;
  for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
    o = cJSON_GetObjectItemCaseSensitive(o, k);
  return o;
}

int send_fd(int sock, int fd, const char *payload)
{
  struct iovec iov = {.iov_base = (void *)payload, .iov_len = strlen(payload)};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof(u));
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  ssize_t r;
  do
    r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int recv_fd(int sock)
{
  char data[4096];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
    return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS) {
    errno = EBADMSG;
    return -1;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  return fd;
}

void format_rfc3339(char *buf, size_t size, long sec, long nsec, bool nanos)
{
  time_t t = sec;
  struct tm tm;
  gmtime_r(&t, &tm);
  char base[32];
  strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
  if (nanos)
    snprintf(buf, size, "%s.%09ldZ", base, nsec);
  else
    snprintf(buf, size, "%sZ", base);
}

void now_rfc3339(char *buf, size_t size)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  format_rfc3339(buf, size, ts.tv_sec, ts.tv_nsec, true);
}

static int cmp_int(const void *a, const void *b)
{
  return *(const int *)a - *(const int *)b;
}

void close_fds_except(int lowest, const int *keep, size_t nkeep)
{
  int sorted[64];
  size_t n = 0;
  for (size_t i = 0; i < nkeep && n < 64; i++)
    if (keep[i] >= lowest)
      sorted[n++] = keep[i];
  qsort(sorted, n, sizeof(int), cmp_int);
  int from = lowest;
  for (size_t i = 0; i < n; i++) {
    if (sorted[i] > from)
      close_range((unsigned)from, (unsigned)sorted[i] - 1, 0);
    if (sorted[i] + 1 > from)
      from = sorted[i] + 1;
  }
  close_range((unsigned)from, ~0U, 0);
}

bool stat_same_file(const struct stat *a, const char *path)
{
  struct stat b;
  return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

void sleep_ms(long ms)
{
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

long long monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mountinfo_unescape(char *s)
{
  char *out = s;
  for (char *in = s; *in; in++) {
    if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
        in[3] >= '0' && in[3] <= '7') {
      *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
      in += 3;
    } else {
      *out++ = *in;
    }
  }
  *out = '\0';
}

unsigned long long proc_start_time(pid_t pid, bool *zombie)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
  if (zombie)
    *zombie = false;
  if (text == NULL)
    return 0;
  const char *p = strrchr(text, ')');
  if (p == NULL)
    return 0;
  p += 2; /* field 3: state */
  if (zombie)
    *zombie = (*p == 'Z' || *p == 'X');
  /* skip fields 3..21 to reach 22 */
  for (int field = 3; field < 22 && p != NULL; field++) {
    p = strchr(p, ' ');
    if (p)
      p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

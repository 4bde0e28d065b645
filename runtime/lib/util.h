/* Small helpers every part of the runtime uses: allocation that aborts on
 * OOM, whole-file reads and atomic writes, rm -rf, JSON field access, fd
 * passing. */
#ifndef BOTTLE_UTIL_H
#define BOTTLE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/types.h>
#include <cJSON.h>

char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int mkdir_p(const char *path, mode_t mode);
/* Reads a whole file (NUL-terminated); NULL with errno on failure. */
char *read_file_at(int dirfd, const char *path, size_t *len);
char *read_fd_all(int fd, size_t *len);
/* Writes dir/.name.tmp then renames it over dir/name. */
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode);
/* The same, the file owned by uid:gid (-1: unchanged) before it replaces name. */
int write_file_atomic_owned_at(int dirfd, const char *name, const char *data, size_t len,
                               mode_t mode, uid_t uid, gid_t gid);
/* Writes the whole buffer to a file path (O_WRONLY|O_TRUNC, no create). */
int write_file_path(const char *path, const char *data);
int write_all(int fd, const void *buf, size_t len);
int rm_rf(const char *path);
/* Absolute form of path (relative to cwd); never fails except on OOM. */
char *abs_path(const char *path);

long long json_int(const cJSON *o, const char *key, long long dflt);
double json_double(const cJSON *o, const char *key, double dflt);
const char *json_str(const cJSON *o, const char *key, const char *dflt);
bool json_bool(const cJSON *o, const char *key, bool dflt);
const cJSON *json_path(const cJSON *o, const char *dotted); /* "linux.resources" */

/* One message with exactly one SCM_RIGHTS fd (the console-socket protocol). */
int send_fd(int sock, int fd, const char *payload);
int recv_fd(int sock);

/* RFC 3339 UTC time (with nanoseconds when nanos) into buf (>= 40 bytes). */
void format_rfc3339(char *buf, size_t size, long sec, long nsec, bool nanos);
void now_rfc3339(char *buf, size_t size);
/* Sleeps ms milliseconds, resumed after signals. */
void sleep_ms(long ms);
/* Undoes /proc/PID/mountinfo's escapes in place: the kernel writes a space, tab, newline or
 * backslash of a path as \ooo, three octal digits of one byte (so the first is 0-3). Anything
 * else, such as a backslash not followed by such digits, stays as it is. */
void mountinfo_unescape(char *s);
/* CLOCK_MONOTONIC in milliseconds: deadlines and elapsed times. */
long long monotonic_ms(void);
/* Whether path (followed) is the file *a describes: same device and inode. A namespace file
 * names the same namespace exactly when this holds. */
bool stat_same_file(const struct stat *a, const char *path);
/* Field 22 of /proc/<pid>/stat (its start time), 0 when the process is gone; *zombie (if not
 * NULL) is set when its state is Z or X. The one parser of that file in runtime/. */
unsigned long long proc_start_time(pid_t pid, bool *zombie);
/* Closes every fd >= lowest except those listed. */
void close_fds_except(int lowest, const int *keep, size_t nkeep);

#endif

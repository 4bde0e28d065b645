/* Reading and writing cgroup control files, and reading OCI resource values. */
#include "runtime/cgroup/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

int cg_write(const char *dir, const char *file, const char *value, bottle_error_t *err)
{
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berr(err, errno, "open %s", path);
  size_t len = strlen(value);
  ssize_t n;
  do {
    n = write(fd, value, len);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return berr(err, errno, "write %s \"%s\"", path, value);
  if ((size_t)n != len)
    return berr(err, EIO, "write %s \"%s\": short write", path, value);
  return 0;
}

int cg_writef(const char *dir, const char *file, bottle_error_t *err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *value = xvasprintf(fmt, ap);
  va_end(ap);
  int rc = cg_write(dir, file, value, err);
  free(value);
  return rc;
}

char *cg_read(const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (buf == NULL)
    return NULL;
  for (;;) {
    if (len + 1 >= cap) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        return NULL;
      }
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      free(buf);
      return NULL;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  while (len > 0 && buf[len - 1] == '\n')
    len--;
  buf[len] = '\0';
  return buf;
}

bool cg_exists(const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  return access(path, F_OK) == 0;
}

bool cg_read_i64(const char *dir, const char *file, int64_t *out)
{
  cleanup_free char *s = cg_read(dir, file);
  if (s == NULL)
    return false;
  if (strncmp(s, "max", 3) == 0) {
    *out = -1;
    return true;
  }
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || errno != 0)
    return false;
  *out = v;
  return true;
}

bool res_i64(const cJSON *obj, const char *key, int64_t *out)
{
  const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  if (!cJSON_IsNumber(v))
    return false;
  double d = v->valuedouble;
  if (isnan(d))
    return false;
  if (d >= 9.2233720368547758e18)
    *out = INT64_MAX;
  else if (d <= -9.2233720368547758e18)
    *out = INT64_MIN;
  else
    *out = (int64_t)d;
  return true;
}

bool res_u64(const cJSON *obj, const char *key, uint64_t *out)
{
  const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  if (!cJSON_IsNumber(v))
    return false;
  double d = v->valuedouble;
  if (isnan(d) || d < 0)
    return false;
  *out = d >= 1.8446744073709552e19 ? UINT64_MAX : (uint64_t)d;
  return true;
}

bool res_bool(const cJSON *obj, const char *key, bool *out)
{
  const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  if (!cJSON_IsBool(v))
    return false;
  *out = cJSON_IsTrue(v);
  return true;
}

const char *res_str(const cJSON *obj, const char *key)
{
  const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

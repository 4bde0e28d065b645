#include "tests/pipelock-double/audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;

void sanitize_text(const char *src, char *dst, size_t dstlen, size_t cap)
{
  size_t n = 0, i = 0;
  if (dstlen == 0)
    return;
  for (; src[i] && n + 1 < dstlen && i < cap; i++) {
    unsigned char c = (unsigned char)src[i];
    /* Controls, DEL, non-ASCII (zero-width and bidi characters) and angle
     * brackets are replaced, not escaped: readers of the feed see one safe line. */
    dst[n++] = (c < 0x20 || c >= 0x7f || c == '<' || c == '>') ? '?' : (char)c;
  }
  if (src[i] && n + 4 < dstlen) {
    memcpy(dst + n, "...", 3);
    n += 3;
  }
  dst[n] = '\0';
}

static void append(struct audit_line *l, const char *s, size_t n)
{
  if (l->len + n >= sizeof(l->buf) - 64)
    n = sizeof(l->buf) - 64 - l->len;
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

static void append_json_string(struct audit_line *l, const char *value)
{
  char clean[AUDIT_VALUE_CAP + 8];
  sanitize_text(value ? value : "", clean, sizeof(clean), AUDIT_VALUE_CAP);
  append(l, "\"", 1);
  for (const char *p = clean; *p; p++) {
    if (*p == '"' || *p == '\\')
      append(l, "\\", 1);
    append(l, p, 1);
  }
  append(l, "\"", 1);
}

static void append_key(struct audit_line *l, const char *key)
{
  append(l, ",", 1);
  append_json_string(l, key);
  append(l, ":", 1);
}

void audit_begin(struct audit_line *l, const char *level, const char *event)
{
  l->len = 0;
  append(l, "{\"level\":", 9);
  append_json_string(l, level);
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
  append_key(l, "time");
  append_json_string(l, ts);
  append_key(l, "component");
  append_json_string(l, "pipelock-double");
  if (event) {
    append_key(l, "event");
    append_json_string(l, event);
  }
}

void audit_str(struct audit_line *l, const char *key, const char *value)
{
  append_key(l, key);
  append_json_string(l, value);
}

void audit_num(struct audit_line *l, const char *key, long long value)
{
  char num[32];
  int n = snprintf(num, sizeof(num), "%lld", value);
  append_key(l, key);
  append(l, num, (size_t)n);
}

void audit_bool(struct audit_line *l, const char *key, int value)
{
  append_key(l, key);
  append(l, value ? "true" : "false", value ? 4 : 5);
}

void audit_emit(struct audit_line *l, const char *message)
{
  audit_str(l, "message", message);
  memcpy(l->buf + l->len, "}\n", 2);
  l->len += 2;
  pthread_mutex_lock(&audit_lock);
  size_t off = 0;
  while (off < l->len) {
    ssize_t w = write(STDOUT_FILENO, l->buf + off, l->len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  pthread_mutex_unlock(&audit_lock);
}

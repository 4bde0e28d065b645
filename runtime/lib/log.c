#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_file = -1;
static bool log_json;
static bool log_debug_on;
static const char *log_plain_prog; /* set: plain lines for a person, not runc's format */

int log_init(const char *path, const char *format, bool debug)
{
  if (format == NULL || strcmp(format, "text") == 0)
    log_json = false;
  else if (strcmp(format, "json") == 0)
    log_json = true;
  else {
    log_json = false;
    log_msg(LOG_ERROR, "invalid log-format: %s", format);
    return -1;
  }
  log_debug_on = debug;
  if (path != NULL && *path != '\0') {
    log_file = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_file < 0) {
      fprintf(stderr, "open log %s: %s\n", path, strerror(errno));
      return -1;
    }
    /* Keep clear of the low fds a caller passes with --preserve-fds/LISTEN_FDS. */
    int high = fcntl(log_file, F_DUPFD_CLOEXEC, 100);
    if (high >= 0) {
      close(log_file);
      log_file = high;
    }
  }
  return 0;
}

void log_init_plain(const char *progname)
{
  log_plain_prog = progname;
  log_json = false;
  log_debug_on = false;
}

static const char *level_name(enum log_level l)
{
  switch (l) {
  case LOG_DEBUG:
    return "debug";
  case LOG_INFO:
    return "info";
  case LOG_WARNING:
    return "warning";
  default:
    return "error";
  }
}

static void emit(enum log_level level, const char *msg)
{
  if (level == LOG_DEBUG && !log_debug_on)
    return;
  if (log_plain_prog != NULL) {
    char *plain =
        xasprintf("%s: %s%s\n", log_plain_prog, level == LOG_WARNING ? "warning: " : "", msg);
    write_all(STDERR_FILENO, plain, strlen(plain));
    free(plain);
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char when[64];
  format_rfc3339(when, sizeof(when), ts.tv_sec, ts.tv_nsec, false);
  char *line = NULL;
  if (log_json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "level", level_name(level));
    cJSON_AddStringToObject(o, "msg", msg);
    cJSON_AddStringToObject(o, "time", when);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s != NULL)
      line = xasprintf("%s\n", s);
    free(s);
  } else {
    cJSON *m = cJSON_CreateString(msg); /* quotes and escapes like logrus */
    char *q = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    if (q != NULL)
      line = xasprintf("time=\"%s\" level=%s msg=%s\n", when, level_name(level), q);
    free(q);
  }
  if (line == NULL)
    return;
  write_all(log_file >= 0 ? log_file : STDERR_FILENO, line, strlen(line));
  free(line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  emit(level, msg);
  free(msg);
}

void log_fatal(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  emit(LOG_ERROR, msg);
  if (log_file >= 0) {
    char *line = xasprintf("%s\n", msg);
    write_all(STDERR_FILENO, line, strlen(line));
    free(line);
  }
  free(msg);
}

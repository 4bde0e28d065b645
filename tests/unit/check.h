/* The check harness of the unit tests that fork, set up namespaces or load filters:
 * CHECK(cond, fmt, ...) prints one "ok - ..." / "not ok (file:line) - ..." line, flushed so a
 * later fork cannot print it twice, and counts. End with check_summary(). (tests/unit/unit.h
 * is the other harness, for pure functions grouped into RUN()s.) */
#ifndef BOTTLE_TESTS_CHECK_H
#define BOTTLE_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int checks, failures;

/* Lines reach the log as they are printed, also the ones outside CHECK: LeakSanitizer's exit
 * (_exit after its report) would drop a buffered stdout. */
__attribute__((constructor)) static void check_line_buffered(void)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
}

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    checks++;                                                                                      \
    if (cond) {                                                                                    \
      printf("ok - ");                                                                             \
    } else {                                                                                       \
      failures++;                                                                                  \
      printf("not ok (%s:%d) - ", __FILE__, __LINE__);                                             \
    }                                                                                              \
    printf(__VA_ARGS__);                                                                           \
    printf("\n");                                                                                  \
    fflush(stdout);                                                                                \
  } while (0)

/* The file at the printf-formatted path, trailing newlines cut (malloc'd; NULL if unreadable). */
static char *read_file(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static char *read_file(const char *fmt, ...)
{
  char path[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof(path), fmt, ap);
  va_end(ap);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return NULL;
  char *buf = calloc(1, 65536);
  size_t n = fread(buf, 1, 65535, f);
  fclose(f);
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  return buf;
}

#endif

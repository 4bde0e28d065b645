/* The one harness of the C unit tests, with TAP output: every check prints "ok N - what" or
 * "not ok N - what # file:line", and unit_finish() prints the plan "1..N" and a
 * "# N/M checks passed" comment, and gives the exit status (0, or 1 when a check failed), which
 * is what tests/run counts. Usage:
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK(y == 2, "y is %d", y); }
 *   int main(void) { RUN(test_something); return unit_finish(); }
 *
 * CHECK(cond) names the condition; CHECK(cond, fmt, ...) says what in its own words.
 * CHECK_STREQ and CHECK_CONTAINS print what they expected and got. RUN(test) prints the test's
 * name as a comment and prefixes its checks with it. The counts live in shared memory, so the
 * checks of a forked child are numbered and counted with the parent's (the parent waits). */
#ifndef BOTTLE_TESTS_UNIT_H
#define BOTTLE_TESTS_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct unit_counts {
  int checks, failures;
};
static struct unit_counts *unit_counts;
static const char *unit_current = "";

/* Lines reach the log as they are printed: a pipe would otherwise hold stdout until exit, a fork
 * would print a buffer twice, and LeakSanitizer's exit (_exit after its report) drops what is
 * still buffered, "not ok" lines included. */
__attribute__((constructor)) static void unit_start(void)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  void *shared = mmap(NULL, sizeof(*unit_counts), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    perror("unit.h: mmap");
    exit(2);
  }
  unit_counts = shared;
}

/* Counts one check and prints its TAP line; returns ok. */
__attribute__((format(printf, 4, 5), unused)) static int unit_check(int ok, const char *file,
                                                                     int line, const char *fmt, ...)
{
  int n = ++unit_counts->checks;
  if (!ok)
    unit_counts->failures++;
  printf("%s %d - ", ok ? "ok" : "not ok", n);
  if (unit_current[0] != '\0')
    printf("%s: ", unit_current);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  if (!ok)
    printf(" # %s:%d", file, line);
  printf("\n");
  fflush(stdout);
  return ok;
}

#define UNIT_CHECK_BARE(cond) unit_check(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define UNIT_CHECK_SAID(cond, ...) unit_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define UNIT_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, name,     \
                  ...)                                                                             \
  name
#define CHECK(...)                                                                                 \
  ((void)UNIT_PICK(__VA_ARGS__, UNIT_CHECK_SAID, UNIT_CHECK_SAID, UNIT_CHECK_SAID,                 \
                   UNIT_CHECK_SAID, UNIT_CHECK_SAID, UNIT_CHECK_SAID, UNIT_CHECK_SAID,             \
                   UNIT_CHECK_SAID, UNIT_CHECK_SAID, UNIT_CHECK_SAID, UNIT_CHECK_SAID,             \
                   UNIT_CHECK_SAID, UNIT_CHECK_SAID, UNIT_CHECK_SAID, UNIT_CHECK_SAID,             \
                   UNIT_CHECK_BARE, _)(__VA_ARGS__))

#define CHECK_STREQ(actual, expected)                                                              \
  do {                                                                                             \
    const char *a_ = (actual), *e_ = (expected);                                                   \
    if (!unit_check(a_ == NULL || e_ == NULL ? a_ == e_ : strcmp(a_, e_) == 0, __FILE__, __LINE__, \
                    "%s is \"%s\"", #actual, e_ ? e_ : "(null)"))                                  \
      printf("#   expected: %s\n#   actual:   %s\n", e_ ? e_ : "(null)", a_ ? a_ : "(null)");     \
  } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                           \
  do {                                                                                             \
    const char *h_ = (haystack), *n_ = (needle);                                                   \
    if (!unit_check(h_ != NULL && strstr(h_, n_) != NULL, __FILE__, __LINE__,                      \
                    "%s contains \"%s\"", #haystack, n_))                                          \
      printf("#   actual: %s\n", h_ ? h_ : "(null)");                                             \
  } while (0)

#define RUN(test)                                                                                  \
  do {                                                                                             \
    int before_ = unit_counts->failures;                                                           \
    unit_current = #test;                                                                          \
    printf("# %s\n", #test);                                                                       \
    test();                                                                                        \
    unit_current = "";                                                                             \
    if (unit_counts->failures != before_)                                                          \
      printf("# %s FAILED\n", #test);                                                              \
  } while (0)

/* How many checks failed so far (for a test that ends with its own exit status). */
__attribute__((unused)) static int unit_failures(void)
{
  return unit_counts->failures;
}

/* The plan and the summary; 0 when every check passed, else 1. */
__attribute__((unused)) static int unit_finish(void)
{
  printf("1..%d\n", unit_counts->checks);
  printf("# %d/%d checks passed\n", unit_counts->checks - unit_counts->failures,
         unit_counts->checks);
  return unit_counts->failures ? 1 : 0;
}

/* The file at the printf-formatted path, trailing newlines cut (malloc'd; NULL if unreadable). */
__attribute__((format(printf, 1, 2), unused)) static char *read_file(const char *fmt, ...)
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

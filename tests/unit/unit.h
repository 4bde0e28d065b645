/* A tiny assertion harness for C unit tests: failed checks print where and what, the test binary
 * exits 1 when any check failed. Usage:
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_STREQ(s, "a"); }
 *   int main(void) { RUN(test_something); return unit_finish(); }
 */
#ifndef BOTTLE_TESTS_UNIT_H
#define BOTTLE_TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_checks, unit_failures;
static const char *unit_current = "";

/* Every line reaches the log as it is printed: a pipe would otherwise hold stdout until exit,
 * and LeakSanitizer's exit (_exit after its report) drops what is still buffered, "not ok" lines
 * included. */
__attribute__((constructor)) static void unit_line_buffered(void)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
}

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    unit_checks++;                                                                                 \
    if (!(cond)) {                                                                                 \
      unit_failures++;                                                                             \
      printf("not ok - %s: %s:%d: %s\n", unit_current, __FILE__, __LINE__, #cond);                 \
    }                                                                                              \
  } while (0)

#define CHECK_STREQ(actual, expected)                                                              \
  do {                                                                                             \
    const char *a_ = (actual), *e_ = (expected);                                                   \
    unit_checks++;                                                                                 \
    if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0) {                               \
      unit_failures++;                                                                             \
      printf("not ok - %s: %s:%d: %s\n    expected: %s\n    actual:   %s\n", unit_current,         \
             __FILE__, __LINE__, #actual, e_ ? e_ : "(null)", a_ ? a_ : "(null)");                 \
    }                                                                                              \
  } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                           \
  do {                                                                                             \
    const char *h_ = (haystack), *n_ = (needle);                                                   \
    unit_checks++;                                                                                 \
    if (h_ == NULL || strstr(h_, n_) == NULL) {                                                    \
      unit_failures++;                                                                             \
      printf("not ok - %s: %s:%d: %s\n    expected to contain: %s\n    actual: %s\n",              \
             unit_current, __FILE__, __LINE__, #haystack, n_, h_ ? h_ : "(null)");                 \
    }                                                                                              \
  } while (0)

#define RUN(test)                                                                                  \
  do {                                                                                             \
    int before_ = unit_failures;                                                                   \
    unit_current = #test;                                                                          \
    test();                                                                                        \
    printf("%s - %s\n", unit_failures == before_ ? "ok" : "FAILED", #test);                        \
  } while (0)

static inline int unit_finish(void)
{
  printf("%d/%d checks passed\n", unit_checks - unit_failures, unit_checks);
  return unit_failures ? 1 : 0;
}

#endif

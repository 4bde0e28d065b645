/* The check harness of the unit tests that fork, set up namespaces or load filters:
 * CHECK(cond, fmt, ...) prints one "ok - ..." / "not ok (file:line) - ..." line, flushed so a
 * later fork cannot print it twice, and counts. End with check_summary(). (tests/unit/unit.h
 * is the other harness, for pure functions grouped into RUN()s.) */
#ifndef BOTTLE_TESTS_CHECK_H
#define BOTTLE_TESTS_CHECK_H

#include <stdio.h>

static int checks, failures;

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

#endif

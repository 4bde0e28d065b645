/* The one error value (runtime/lib/error.h): first error wins, wrapping adds context first, a
 * long message is cut with its cause kept, and the value is plain bytes that can be copied. */
#include "runtime/lib/error.h"

#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"

static void test_first_wins(void)
{
  bottle_error_t err = {0};
  CHECK(!err.set && err.msg[0] == '\0');
  CHECK(berr(&err, EPERM, "mount %s", "/proc") == -1);
  CHECK(err.set && err.errnum == EPERM);
  CHECK_STREQ(err.msg, "mount /proc: Operation not permitted");
  CHECK(berr(&err, ENOENT, "a caller's later, vaguer failure") == -1);
  CHECK_STREQ(err.msg, "mount /proc: Operation not permitted");
  CHECK(err.errnum == EPERM);
  CHECK(berr(NULL, EPERM, "nobody wants this") == -1);
}

static void test_wrap_puts_context_first(void)
{
  bottle_error_t err = {0};
  CHECK(berr_wrap(&err, "create") == -1);
  CHECK(!err.set && err.msg[0] == '\0', "wrapping no error sets none");
  berr(&err, EPERM, "mount /proc");
  berr_wrap(&err, "rootfs");
  berr_wrap(&err, "%s", "create");
  CHECK_STREQ(err.msg, "create: rootfs: mount /proc: Operation not permitted");
  CHECK(err.errnum == EPERM);
  CHECK(berr_wrap(NULL, "x") == -1);
}

static void test_clear_and_pass(void)
{
  bottle_error_t err = {0}, local = {0};
  berr(&err, 0, "stale");
  berr_clear(&err);
  CHECK(!err.set && err.errnum == 0 && err.msg[0] == '\0');
  berr(&err, 0, "fresh");
  CHECK_STREQ(err.msg, "fresh");

  bottle_error_t into = {0};
  CHECK(berr_pass(&into, &local) == -1);
  CHECK(!into.set, "passing no error sets none");
  berr(&local, EIO, "read");
  berr_pass(&into, &local);
  CHECK(into.set && into.errnum == EIO);
  CHECK_STREQ(into.msg, "read: Input/output error");
  bottle_error_t other = {0};
  berr(&other, 0, "second");
  berr_pass(&into, &other);
  CHECK_STREQ(into.msg, "read: Input/output error");
  CHECK(berr_pass(NULL, &local) == -1);
}

static void test_long_messages_are_cut_with_their_cause(void)
{
  static char big[3 * BOTTLE_ERROR_MSG_MAX];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  bottle_error_t err = {0};
  berr(&err, ENOSPC, "write %s", big);
  size_t len = strlen(err.msg);
  CHECK(len == BOTTLE_ERROR_MSG_MAX - 1, "filled to the last byte: %zu", len);
  const char *cause = "...: No space left on device";
  CHECK(len > strlen(cause) && strcmp(err.msg + len - strlen(cause), cause) == 0,
        "a cut message keeps its cause: ...%s", err.msg + len - 40);

  bottle_error_t plain = {0};
  berr(&plain, 0, "%s", big);
  len = strlen(plain.msg);
  CHECK(len == BOTTLE_ERROR_MSG_MAX - 1 && strcmp(plain.msg + len - 3, "...") == 0);

  /* Context keeps coming first; the end of the chain is what gets cut. */
  bottle_error_t chain = {0};
  berr(&chain, EPERM, "mount /proc");
  berr_wrap(&chain, "%s", big);
  len = strlen(chain.msg);
  CHECK(len == BOTTLE_ERROR_MSG_MAX - 1 && strncmp(chain.msg, "aaaa", 4) == 0 &&
        strcmp(chain.msg + len - 3, "...") == 0);
}

int main(void)
{
  RUN(test_first_wins);
  RUN(test_wrap_puts_context_first);
  RUN(test_clear_and_pass);
  RUN(test_long_messages_are_cut_with_their_cause);
  return unit_finish();
}

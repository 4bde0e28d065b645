/* runtime/rootfs/mount_options.c: the OCI mount option vocabulary (runc's
 * features.mountOptions) turned into mount(2) flags, propagation steps,
 * recursive mount_setattr attributes and filesystem data. No root needed. */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "runtime/lib/cleanup.h"
#include "runtime/rootfs/mount.h"
#include "tests/unit/unit.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static struct mount_options parsed;
static bottle_error_t perr;

static int parse(const char *json)
{
  cleanup_cjson cJSON *j = cJSON_Parse(json);
  mount_options_free(&parsed);
  berr_clear(&perr);
  int rc = mount_options_parse(j, &parsed, &perr);
  /* The parsed data must not point into the JSON freed here. */
  return rc;
}

static void test_docker_defaults(void)
{
  CHECK(parse("[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]") == 0);
  CHECK(parsed.flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK_STREQ(parsed.data, "mode=755,size=65536k");
  CHECK(parsed.n_propagation == 0);

  CHECK(
      parse("[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]") ==
      0);
  CHECK(parsed.flags == (MS_NOSUID | MS_NOEXEC));
  CHECK_STREQ(parsed.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");

  CHECK(parse("[\"ro\",\"nosuid\",\"noexec\",\"nodev\"]") == 0);
  CHECK(parsed.flags == (MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV));
  CHECK(parsed.data == NULL);
}

static void test_binds_and_propagation(void)
{
  CHECK(parse("[\"rbind\",\"rprivate\"]") == 0);
  CHECK(parsed.flags == (MS_BIND | MS_REC));
  CHECK(parsed.n_propagation == 1);
  CHECK(parsed.propagation[0] == (MS_PRIVATE | MS_REC));

  CHECK(parse("[\"bind\",\"ro\",\"shared\",\"runbindable\",\"rslave\",\"private\"]") == 0);
  CHECK(parsed.flags == (MS_BIND | MS_RDONLY));
  CHECK(parsed.n_propagation == 4);
  CHECK(parsed.propagation[0] == MS_SHARED);
  CHECK(parsed.propagation[1] == (MS_UNBINDABLE | MS_REC));
  CHECK(parsed.propagation[2] == (MS_SLAVE | MS_REC));
  CHECK(parsed.propagation[3] == MS_PRIVATE);

  struct mount_entry e = {.destination = "/x", .type = "none", .source = "/y", .opt = parsed};
  CHECK(mount_is_bind(&e));
  e.type = "bind";
  e.opt.flags = 0;
  CHECK(mount_is_bind(&e)); /* by type alone, as containerd may send */
  e.type = "tmpfs";
  CHECK(!mount_is_bind(&e));
}

static void test_clearing_options(void)
{
  /* Later options win; clearing ones are remembered for bind remounts. */
  CHECK(parse("[\"ro\",\"rw\",\"nosuid\",\"suid\",\"nodev\",\"dev\",\"noexec\",\"exec\"]") == 0);
  CHECK(parsed.flags == 0);
  CHECK(parsed.cleared == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  CHECK(parse("[\"rw\",\"ro\"]") == 0);
  CHECK(parsed.flags == MS_RDONLY);
  CHECK(parsed.cleared == 0);
  CHECK(parse("[\"defaults\",\"relatime\",\"noatime\",\"nosymfollow\",\"sync\",\"dirsync\"]") == 0);
  CHECK(parsed.flags == (MS_RELATIME | MS_NOATIME | MS_NOSYMFOLLOW | MS_SYNCHRONOUS | MS_DIRSYNC));
}

static void test_recursive_attributes(void)
{
  CHECK(parse("[\"rbind\",\"rro\",\"rnosuid\",\"rnodev\",\"rnoexec\"]") == 0);
  CHECK(parsed.rec_attr_set ==
        (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  CHECK(parsed.rec_attr_clr == 0);
  CHECK(parsed.flags == (MS_BIND | MS_REC)); /* rro is not the non-recursive ro */

  CHECK(parse("[\"rro\",\"rrw\",\"rsuid\"]") == 0);
  CHECK(parsed.rec_attr_set == 0);
  CHECK(parsed.rec_attr_clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));

  /* atime modes are one field: the last one wins and the field is cleared. */
  CHECK(parse("[\"rnoatime\",\"rstrictatime\"]") == 0);
  CHECK((parsed.rec_attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME);
  CHECK((parsed.rec_attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME);
  CHECK(parse("[\"rnoatime\",\"rrelatime\"]") == 0);
  CHECK((parsed.rec_attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_RELATIME);
}

static void test_extensions_and_errors(void)
{
  CHECK(parse("[\"tmpcopyup\",\"mode=1777\"]") == 0);
  CHECK(parsed.tmpcopyup);
  CHECK_STREQ(parsed.data, "mode=1777");

  CHECK(parse("[\"idmap\"]") < 0);
  CHECK(perr.set);
  if (perr.set)
    CHECK_CONTAINS(perr.msg, "\"idmap\"");
  CHECK(parse("[\"ro\", 3]") < 0);
  if (perr.set)
    CHECK_CONTAINS(perr.msg, "array of strings");
  CHECK(parse("\"ro\"") < 0);
  CHECK(parse("null") == 0);
  CHECK(parsed.flags == 0 && parsed.data == NULL);
  CHECK(parse("[\"private\",\"private\",\"private\",\"private\",\"private\",\"private\","
              "\"private\",\"private\",\"private\"]") < 0);
  if (perr.set)
    CHECK_CONTAINS(perr.msg, "propagation");
}

static void test_flags_to_attr(void)
{
  CHECK(mount_flags_to_attr(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) ==
        (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  CHECK(mount_flags_to_attr(MS_NOATIME) == MOUNT_ATTR_NOATIME);
  CHECK(mount_flags_to_attr(MS_STRICTATIME) == MOUNT_ATTR_STRICTATIME);
  CHECK(mount_flags_to_attr(MS_NOSYMFOLLOW | MS_NODIRATIME) ==
        (MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_NODIRATIME));
  CHECK(mount_flags_to_attr(MS_BIND | MS_REC) == 0);
}

int main(void)
{
  RUN(test_docker_defaults);
  RUN(test_binds_and_propagation);
  RUN(test_clearing_options);
  RUN(test_recursive_attributes);
  RUN(test_extensions_and_errors);
  RUN(test_flags_to_attr);
  mount_options_free(&parsed);
  berr_clear(&perr);
  return unit_finish();
}

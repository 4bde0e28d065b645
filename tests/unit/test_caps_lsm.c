/* runtime/security/lsm.c: AppArmor/SELinux labels behave as runc 1.1.5 does on this
 * host. Whether the LSMs are enabled is read from the host, and each case
 * asserts the behaviour for that state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/security/security.h"

#include "tests/unit/unit.h"

static bool apparmor_enabled(void)
{
  cleanup_fclose FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
  return f != NULL && fgetc(f) == 'Y';
}

static bool selinux_enabled(void)
{
  return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

/* Runs lsm_set_exec_label in a child (the label sticks to the process) and returns the
 * error text, or "" on success. */
static void apply_in_child(const char *process_json, char *msg, size_t size)
{
  int p[2];
  if (pipe(p) < 0)
    exit(2);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    int rc = 0;
    {
      cleanup_cjson cJSON *proc = cJSON_Parse(process_json);
      bottle_error_t err = {0};
      const char *out = lsm_set_exec_label(proc, &err) == 0 ? "" : err.msg;
      if (write(p[1], out, strlen(out)) < 0)
        rc = 3;
      berr_clear(&err);
    }
    _exit(rc);
  }
  close(p[1]);
  ssize_t n = read(p[0], msg, size - 1);
  msg[n > 0 ? n : 0] = '\0';
  close(p[0]);
  waitpid(pid, NULL, 0);
}

int main(void)
{
  char msg[1024];

  apply_in_child("{\"args\":[\"sh\"]}", msg, sizeof(msg));
  CHECK(msg[0] == '\0', "no labels: nothing to do, got %s", msg);
  apply_in_child("{\"apparmorProfile\":\"\",\"selinuxLabel\":\"\"}", msg, sizeof(msg));
  CHECK(msg[0] == '\0', "empty labels are absent labels, got %s", msg);
  apply_in_child("{\"apparmorProfile\":7}", msg, sizeof(msg));
  CHECK(strstr(msg, "process.apparmorProfile") != NULL, "non-string profile: %s", msg);

  if (!apparmor_enabled()) {
    /* runc 1.1.5: "unable to apply apparmor profile: apparmor failed to apply profile: write
     * /proc/self/attr/exec: invalid argument". */
    apply_in_child("{\"apparmorProfile\":\"docker-default\"}", msg, sizeof(msg));
    CHECK(strstr(msg, "apparmor failed to apply profile") != NULL &&
              strstr(msg, "docker-default") != NULL,
          "AppArmor off: profile refused like runc, got \"%s\"", msg);
  } else if (geteuid() == 0) {
    /* "unconfined" always exists; a made-up profile does not. */
    apply_in_child("{\"apparmorProfile\":\"unconfined\"}", msg, sizeof(msg));
    CHECK(msg[0] == '\0', "AppArmor on: unconfined applies, got %s", msg);
    apply_in_child("{\"apparmorProfile\":\"bottle-no-such-profile\"}", msg, sizeof(msg));
    CHECK(strstr(msg, "apparmor failed to apply profile") != NULL,
          "AppArmor on: unknown profile refused, got \"%s\"", msg);
  }

  cleanup_cjson cJSON *linux = cJSON_Parse("{\"mountLabel\":\"system_u:object_r:x_t:s0\"}");
  if (!selinux_enabled()) {
    apply_in_child("{\"selinuxLabel\":\"system_u:system_r:container_t:s0\"}", msg, sizeof(msg));
    CHECK(strstr(msg, "selinux label is specified in config, but selinux is disabled") != NULL,
          "SELinux off: label refused like runc, got \"%s\"", msg);
    CHECK(lsm_mount_label(linux) == NULL, "SELinux off: no mount label");
  } else {
    const char *l = lsm_mount_label(linux);
    CHECK(l != NULL && strcmp(l, "system_u:object_r:x_t:s0") == 0, "SELinux on: mount label");
  }
  cleanup_cjson cJSON *no_label = cJSON_Parse("{}");
  CHECK(lsm_mount_label(no_label) == NULL && lsm_mount_label(NULL) == NULL, "no mountLabel: NULL");

  printf("# AppArmor %s, SELinux %s\n", apparmor_enabled() ? "on" : "off",
         selinux_enabled() ? "on" : "off");
  return unit_finish();
}

/* AppArmor and SELinux labels for the container process, both applied
 * change-on-exec. Behaviour on hosts without the LSM follows runc 1.1.5 as
 * observed on this Debian host (AppArmor and SELinux both off):
 *   apparmorProfile set  → create fails: "unable to apply apparmor profile:
 *                          apparmor failed to apply profile: write
 *                          /proc/self/attr/exec: invalid argument"
 *   selinuxLabel set     → create fails: "selinux label is specified in
 *                          config, but selinux is disabled or not supported"
 *   both empty or absent → nothing is written.
 * Docker, containerd and podman only send labels when the host has the LSM,
 * so these errors only reach hand-written bundles. linux.mountLabel is the
 * one place bottle is laxer than runc (which passes context= to the mount
 * and fails with EINVAL): without SELinux the label is dropped. */
#include "runtime/security/security.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

/* selinuxfs is registered only when SELinux was enabled at boot, and /proc/filesystems is
 * visible inside the container too (unlike /sys/fs/selinux). */
static bool selinux_enabled(void)
{
  if (access("/sys/fs/selinux/enforce", F_OK) == 0)
    return true;
  cleanup_fclose FILE *f = fopen("/proc/filesystems", "re");
  if (f == NULL)
    return false;
  char line[256];
  while (fgets(line, sizeof(line), f) != NULL)
    if (strstr(line, "\tselinuxfs\n") != NULL)
      return true;
  return false;
}

/* Writes to a /proc/self/attr file only when the opened file really is on procfs, so a
 * bind mount over /proc inside the container cannot swallow the label. */
static int write_proc_attr(const char *path, const char *value, size_t len, int *errnum)
{
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    *errnum = errno;
    return -1;
  }
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) {
    *errnum = errno;
    return -1;
  }
  if (sfs.f_type != PROC_SUPER_MAGIC) {
    *errnum = EXDEV;
    return -1;
  }
  ssize_t n = write(fd, value, len);
  if (n != (ssize_t)len) {
    *errnum = n < 0 ? errno : EIO;
    return -1;
  }
  return 0;
}

static int apply_apparmor(const char *profile, bottle_error_t *err)
{
  cleanup_free char *cmd = xasprintf("exec %s", profile);
  size_t len = strlen(cmd);
  int e = 0;
  /* The LSM-specific file exists since Linux 5.8; the shared one is the fallback. */
  if (write_proc_attr("/proc/self/attr/apparmor/exec", cmd, len, &e) == 0)
    return 0;
  const char *path = "/proc/self/attr/apparmor/exec";
  if (e == ENOENT) {
    path = "/proc/self/attr/exec";
    if (write_proc_attr(path, cmd, len, &e) == 0)
      return 0;
  }
  return berr(err, e,
              "unable to apply apparmor profile: apparmor failed to apply profile: write %s "
              "(process.apparmorProfile \"%s\"; is AppArmor enabled and the profile loaded?)",
              path, profile);
}

static int apply_selinux(const char *label, bottle_error_t *err)
{
  if (!selinux_enabled())
    return berr(err, 0,
                "selinux label is specified in config, but selinux is disabled or not "
                "supported (remove process.selinuxLabel)");
  int e = 0;
  if (write_proc_attr("/proc/self/attr/exec", label, strlen(label), &e) < 0)
    return berr(err, e, "selinux: set exec label \"%s\" (process.selinuxLabel)", label);
  return 0;
}

static const char *string_field(const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring : NULL;
}

int lsm_set_exec_label(const cJSON *process, bottle_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(process, "apparmorProfile");
  if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v))
    return berr(err, 0, "process.apparmorProfile: must be a string");
  v = cJSON_GetObjectItemCaseSensitive(process, "selinuxLabel");
  if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v))
    return berr(err, 0, "process.selinuxLabel: must be a string");

  const char *profile = string_field(process, "apparmorProfile");
  if (profile != NULL && apply_apparmor(profile, err) < 0)
    return -1;
  const char *label = string_field(process, "selinuxLabel");
  if (label != NULL && apply_selinux(label, err) < 0)
    return -1;
  return 0;
}

const char *lsm_mount_label(const cJSON *linux)
{
  const char *label = string_field(linux, "mountLabel");
  if (label == NULL || !selinux_enabled())
    return NULL;
  return label;
}

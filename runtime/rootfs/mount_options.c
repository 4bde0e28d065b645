#include "runtime/rootfs/mount.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* The vocabulary of runc's features.mountOptions (which is what Docker,
 * containerd and podman send). Anything else is filesystem data. */
struct flag_option {
  const char *name;
  bool clear;
  unsigned long flag;
};

static const struct flag_option flag_options[] = {
    {"acl", false, MS_POSIXACL},
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noacl", true, MS_POSIXACL},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
    {"symfollow", true, MS_NOSYMFOLLOW},
};

static const struct {
  const char *name;
  unsigned long flags;
} propagation_options[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Recursive attributes (mount_setattr with AT_RECURSIVE). The atime modes
 * are one field, not bits: setting one replaces the others. */
static const struct {
  const char *name;
  bool clear;
  bool atime;
  uint64_t attr;
} rec_attr_options[] = {
    {"rro", false, false, MOUNT_ATTR_RDONLY},
    {"rrw", true, false, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, false, MOUNT_ATTR_NOSUID},
    {"rnodev", false, false, MOUNT_ATTR_NODEV},
    {"rdev", true, false, MOUNT_ATTR_NODEV},
    {"rnoexec", false, false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, false, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, false, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", false, true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, true, MOUNT_ATTR_STRICTATIME},
};

/* Id-mapped mounts need a user namespace fd per mount, which bottle does not
 * set up; refuse them clearly rather than mount without the mapping. */
static const char *const unsupported_options[] = {"idmap", "ridmap"};

static int append_data(struct mount_options *o, const char *opt)
{
  size_t have = o->data ? strlen(o->data) : 0;
  size_t add = strlen(opt);
  char *grown = realloc(o->data, have + add + 2);
  if (grown == NULL)
    return -1;
  if (have > 0)
    grown[have++] = ',';
  memcpy(grown + have, opt, add + 1);
  o->data = grown;
  return 0;
}

static int parse_one(struct mount_options *o, const char *opt, bottle_error_t *err)
{
  for (size_t i = 0; i < sizeof(flag_options) / sizeof(flag_options[0]); i++) {
    if (strcmp(opt, flag_options[i].name) != 0)
      continue;
    if (flag_options[i].clear) {
      o->flags &= ~flag_options[i].flag;
      o->cleared |= flag_options[i].flag;
    } else {
      o->flags |= flag_options[i].flag;
      o->cleared &= ~flag_options[i].flag;
    }
    return 0;
  }
  for (size_t i = 0; i < sizeof(propagation_options) / sizeof(propagation_options[0]); i++) {
    if (strcmp(opt, propagation_options[i].name) != 0)
      continue;
    if (o->n_propagation == MOUNT_MAX_PROPAGATION)
      return berr(err, 0, "too many propagation options (at most %d)", MOUNT_MAX_PROPAGATION);
    o->propagation[o->n_propagation++] = propagation_options[i].flags;
    return 0;
  }
  for (size_t i = 0; i < sizeof(rec_attr_options) / sizeof(rec_attr_options[0]); i++) {
    if (strcmp(opt, rec_attr_options[i].name) != 0)
      continue;
    uint64_t attr = rec_attr_options[i].attr;
    if (rec_attr_options[i].atime) {
      o->rec_attr_clr |= MOUNT_ATTR__ATIME;
      o->rec_attr_set = (o->rec_attr_set & ~MOUNT_ATTR__ATIME) | attr;
    } else if (rec_attr_options[i].clear) {
      o->rec_attr_clr |= attr;
      o->rec_attr_set &= ~attr;
    } else {
      o->rec_attr_set |= attr;
      o->rec_attr_clr &= ~attr;
    }
    return 0;
  }
  if (strcmp(opt, "tmpcopyup") == 0) {
    o->tmpcopyup = true;
    return 0;
  }
  for (size_t i = 0; i < sizeof(unsupported_options) / sizeof(unsupported_options[0]); i++)
    if (strcmp(opt, unsupported_options[i]) == 0)
      return berr(err, 0, "mount option \"%s\" is not supported (id-mapped mounts); remove it",
                  opt);
  if (append_data(o, opt) < 0)
    return berr(err, ENOMEM, "mount option %s", opt);
  return 0;
}

int mount_options_parse(const cJSON *options, struct mount_options *out, bottle_error_t *err)
{
  memset(out, 0, sizeof(*out));
  if (options == NULL || cJSON_IsNull(options))
    return 0;
  if (!cJSON_IsArray(options))
    return berr(err, 0, "\"options\" must be an array of strings");
  const cJSON *item;
  cJSON_ArrayForEach(item, options)
  {
    if (!cJSON_IsString(item) || parse_one(out, item->valuestring, err) < 0) {
      mount_options_free(out);
      return berr(err, 0, "\"options\" must be an array of strings");
    }
  }
  return 0;
}

void mount_options_free(struct mount_options *o)
{
  free(o->data);
  o->data = NULL;
}

bool mount_is_bind(const struct mount_entry *e)
{
  return (e->opt.flags & MS_BIND) || strcmp(e->type, "bind") == 0;
}

uint64_t mount_flags_to_attr(unsigned long ms_flags)
{
  uint64_t attr = 0;
  if (ms_flags & MS_RDONLY)
    attr |= MOUNT_ATTR_RDONLY;
  if (ms_flags & MS_NOSUID)
    attr |= MOUNT_ATTR_NOSUID;
  if (ms_flags & MS_NODEV)
    attr |= MOUNT_ATTR_NODEV;
  if (ms_flags & MS_NOEXEC)
    attr |= MOUNT_ATTR_NOEXEC;
  if (ms_flags & MS_NODIRATIME)
    attr |= MOUNT_ATTR_NODIRATIME;
  if (ms_flags & MS_NOSYMFOLLOW)
    attr |= MOUNT_ATTR_NOSYMFOLLOW;
  if (ms_flags & MS_NOATIME)
    attr |= MOUNT_ATTR_NOATIME;
  else if (ms_flags & MS_STRICTATIME)
    attr |= MOUNT_ATTR_STRICTATIME;
  return attr;
}

/* Bind mounts that would hand a bottled agent a way out of its bottle (agent_check_mounts):
 * judged by what the source is on the host (realpath, stat, statfs, the mount table), never by
 * how config.json spells it. */
#include "runtime/bottle/agent_spec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/rootfs/mount.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif

/* Where the engines keep their API sockets and their network namespaces. A bind of one of
 * these, of a directory above one, or of a socket inside one is refused; "/var/run/..." is
 * listed too for hosts where it is not a link to /run. */
static const struct {
  const char *path;
  const char *what;
} engine_paths[] = {
    {"/run/docker.sock", "Docker's API socket"},
    {"/var/run/docker.sock", "Docker's API socket"},
    {"/run/dockershim.sock", "the dockershim CRI socket"},
    {"/run/cri-dockerd.sock", "cri-dockerd's CRI socket"},
    {"/run/docker", "dockerd's run dir (its containerd socket, network namespaces)"},
    {"/var/run/docker", "dockerd's run dir (its containerd socket, network namespaces)"},
    {"/run/containerd", "containerd's API and shim sockets"},
    {"/var/run/containerd", "containerd's API and shim sockets"},
    {"/run/k3s", "k3s's containerd sockets"},
    {"/run/podman", "podman's API socket"},
    {"/var/run/podman", "podman's API socket"},
    {"/run/crio", "CRI-O's API socket"},
    {"/var/run/crio", "CRI-O's API socket"},
    {"/run/netns", "network namespaces"},
    {"/var/run/netns", "network namespaces"},
    {"/run/bottle", "bottle's network namespaces"},
};
/* An engine's socket wherever it was put (dockerd -H, rootless engines under /run/user). */
static const char *const engine_socket_names[] = {
    "docker.sock",           "dockershim.sock", "cri-dockerd.sock", "containerd.sock",
    "containerd.sock.ttrpc", "podman.sock",     "crio.sock",        NULL};

static bool is_engine_socket_name(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (size_t i = 0; engine_socket_names[i]; i++)
    if (strcmp(base, engine_socket_names[i]) == 0)
      return true;
  return false;
}

/* under is dir itself or below it. */
static bool path_under(const char *under, const char *dir)
{
  size_t n = strlen(dir);
  if (strcmp(dir, "/") == 0)
    return true;
  return strncmp(under, dir, n) == 0 && (under[n] == '\0' || under[n] == '/');
}

/* A socket directly inside dir (malloc'd path): an engine's by name, or any when any is set. */
static char *dir_socket(const char *dir, bool any)
{
  DIR *d = opendir(dir);
  if (d == NULL)
    return NULL;
  char *found = NULL;
  struct dirent *e;
  while (found == NULL && (e = readdir(d)) != NULL) {
    struct stat st;
    if ((any || is_engine_socket_name(e->d_name)) &&
        fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode))
      found = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e->d_name);
  }
  closedir(d);
  return found;
}

/* Why real (stat st) is an engine's, malloc'd; NULL if it is not. */
static char *engine_reason(const char *real, const struct stat *st)
{
  for (size_t i = 0; i < sizeof(engine_paths) / sizeof(*engine_paths); i++) {
    char canon[PATH_MAX];
    const char *k = realpath(engine_paths[i].path, canon) ? canon : engine_paths[i].path;
    const char *what = engine_paths[i].what;
    struct stat kst;
    bool same = stat(engine_paths[i].path, &kst) == 0 && kst.st_dev == st->st_dev &&
                kst.st_ino == st->st_ino;
    if (strcmp(real, k) == 0)
      return xasprintf("%s is %s", real, what);
    if (same || path_under(k, real))
      return xasprintf("%s %s %s, %s", real, same ? "is" : "holds", k, what);
    if (!path_under(real, k))
      continue;
    cleanup_free char *sock = S_ISDIR(st->st_mode) ? dir_socket(real, true) : NULL;
    if (S_ISSOCK(st->st_mode) || sock != NULL)
      return xasprintf("%s is in %s, %s", real, k, what);
  }
  if (S_ISSOCK(st->st_mode) && is_engine_socket_name(real))
    return xasprintf("%s is a container engine's API socket", real);
  cleanup_free char *sock = S_ISDIR(st->st_mode) ? dir_socket(real, false) : NULL;
  if (sock != NULL)
    return xasprintf("%s holds %s, a container engine's API socket", real, sock);
  return NULL;
}

static bool knob_magic(unsigned long t)
{
  return t == SYSFS_MAGIC || t == CGROUP_SUPER_MAGIC || t == CGROUP2_SUPER_MAGIC ||
         t == SECURITYFS_MAGIC || t == DEBUGFS_MAGIC || t == TRACEFS_MAGIC || t == BPF_FS_MAGIC ||
         t == EFIVARFS_MAGIC || t == PSTOREFS_MAGIC || t == BINFMTFS_MAGIC || t == CONFIGFS_MAGIC;
}

enum sub_kind { SUB_NONE, SUB_NSFS, SUB_PROC, SUB_KNOB };

/* The first mount below dir (not dir itself) that makes a bind of dir dangerous: an nsfs file
 * (a netns bind mount), a proc, or (only when the bind takes submounts along writable) a
 * kernel-knob filesystem; *found gets "MOUNTPOINT (FSTYPE)". *mountinfo is read once. */
static enum sub_kind submount(const char *dir, bool knobs, char **mountinfo, char **found)
{
  if (*mountinfo == NULL &&
      (*mountinfo = read_file_at(AT_FDCWD, "/proc/self/mountinfo", NULL)) == NULL)
    return SUB_NONE;
  cleanup_free char *copy = xstrdup(*mountinfo);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *fields[5], *sep = strstr(line, " - ");
    if (sep == NULL)
      continue;
    *sep = '\0';
    int n = 0;
    for (char *sv = NULL, *t = strtok_r(line, " ", &sv); t && n < 5; t = strtok_r(NULL, " ", &sv))
      fields[n++] = t;
    char fstype[64] = "";
    if (n < 5 || sscanf(sep + 3, "%63s", fstype) != 1)
      continue;
    char *mp = fields[4];
    mountinfo_unescape(mp);
    if (strcmp(mp, dir) == 0 || !path_under(mp, dir))
      continue;
    enum sub_kind k = strcmp(fstype, "nsfs") == 0      ? SUB_NSFS
                      : strcmp(fstype, "proc") == 0    ? SUB_PROC
                      : knobs && agent_knob_fs(fstype) ? SUB_KNOB
                                                       : SUB_NONE;
    if (k != SUB_NONE) {
      *found = xasprintf("%s (%s)", mp, fstype);
      return k;
    }
  }
  return SUB_NONE;
}

static bool mount_allowed(const struct cfg_agent *a, const char *source, const char *real)
{
  for (size_t i = 0; i < a->allow_mounts.len; i++) {
    const char *e = a->allow_mounts.items[i];
    char canon[PATH_MAX];
    if (strcmp(e, source) == 0 || (real != NULL && realpath(e, canon) && strcmp(canon, real) == 0))
      return true;
  }
  return false;
}

static bool is_bind(const cJSON *m)
{
  if (strcmp(json_str(m, "type", ""), "bind") == 0)
    return true;
  const cJSON *o;
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(m, "options"))
  {
    if (cJSON_IsString(o) &&
        (strcmp(o->valuestring, "bind") == 0 || strcmp(o->valuestring, "rbind") == 0))
      return true;
  }
  return false;
}

/* Why a bind of source needs agent.allow_mounts (malloc'd), or NULL. *knob: it is instead a
 * kernel-knob filesystem left writable (agent.allow_writable_sys). */
static char *bind_reason(const cJSON *m, const char *source, char *real, bool *knob,
                         char **mountinfo)
{
  struct stat st;
  struct statfs sf;
  *knob = false;
  if (stat(source, &st) < 0 || statfs(source, &sf) < 0)
    return NULL; /* nothing there: the mount itself fails */
  if ((unsigned long)sf.f_type == NSFS_MAGIC)
    return xstrdup("it is a namespace file (nsfs), a way into another namespace");
  if ((unsigned long)sf.f_type == PROC_SUPER_MAGIC)
    return xstrdup("it is the host's /proc (every host process, and through /proc/<pid>/root "
                   "the host's files and sockets)");
  if (realpath(source, real) == NULL)
    return xasprintf("it cannot be resolved to a host path (%s)", strerror(errno));
  if (strcmp(real, "/") == 0)
    return xstrdup("it is the host's whole filesystem");
  cleanup_free char *engine = engine_reason(real, &st);
  if (engine != NULL)
    return xasprintf("%s, a way out of the bottle", engine);
  bool recursive;
  bool ro = agent_mount_readonly(m, &recursive);
  if (knob_magic((unsigned long)sf.f_type) && !(ro && recursive)) {
    *knob = true;
    return xstrdup("it is a kernel-knob filesystem left writable (uevent_helper, release_agent)");
  }
  if (!S_ISDIR(st.st_mode))
    return NULL;
  cleanup_free char *found = NULL;
  switch (submount(real, !(ro && recursive), mountinfo, &found)) {
  case SUB_NSFS:
    return xasprintf("it holds network namespace mounts such as %s", found);
  case SUB_PROC:
    return xasprintf("it holds a proc mount, %s", found);
  case SUB_KNOB:
    *knob = true;
    return xasprintf("it holds %s, a kernel-knob filesystem the bind leaves writable", found);
  case SUB_NONE:
    break;
  }
  return NULL;
}

int agent_check_mounts(const cJSON *config, const struct bottle_config *cfg,
                       struct agent_grants *granted, bottle_error_t *err)
{
  const struct cfg_agent *a = &cfg->agent;
  cleanup_free char *mountinfo = NULL;
  int i = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(config, "mounts"))
  {
    int idx = i++;
    const char *source = json_str(m, "source", "");
    if (!is_bind(m) || *source == '\0')
      continue;
    char real[PATH_MAX] = "";
    bool knob;
    cleanup_free char *why = bind_reason(m, source, real, &knob, &mountinfo);
    if (why == NULL)
      continue;
    const char *dst = json_str(m, "destination", "");
    if (knob) {
      if (!a->allow_writable_sys)
        return berr(err, 0,
                    "mounts[%d].source: %s, bound at %s: %s; mount it \"rro\" (or \"ro\" without "
                    "rbind) or set bottle.json agent.allow_writable_sys",
                    idx, source, dst, why);
      agent_grant(granted, "a writable /sys (agent.allow_writable_sys)");
      continue;
    }
    if (!mount_allowed(a, source, real[0] ? real : NULL))
      return berr(err, 0,
                  "mounts[%d].source: %s, bound at %s in a bottled agent: %s; remove the mount "
                  "(docker: drop -v %s:%s) or allow the host path in bottle.json "
                  "agent.allow_mounts",
                  idx, source, dst, why, source, dst);
    agent_grant(granted, "the host's %s at %s (agent.allow_mounts)", source, dst);
  }
  return 0;
}

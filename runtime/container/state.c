#include "runtime/container/state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/container/container.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

/* mkdir -p root at 0700. */
static int state_root_prepare(const char *root, bottle_error_t *err)
{
  if (mkdir_p(root, 0700) < 0)
    return berr(err, errno, "create state root %s", root);
  return 0;
}

static struct container *container_new(const char *root, const char *id)
{
  struct container *c = calloc(1, sizeof(*c));
  if (c == NULL)
    abort();
  c->id = xstrdup(id);
  c->dir = xasprintf("%s/%s", root, id);
  c->dirfd = -1;
  return c;
}

int state_create(const char *root, const char *id, struct container **out, bottle_error_t *err)
{
  if (state_root_prepare(root, err) < 0)
    return -1;
  struct container *c = container_new(root, id);
  if (mkdir(c->dir, 0711) < 0) {
    int e = errno;
    container_free(c);
    if (e == EEXIST)
      return berr(err, 0, "container with given ID already exists");
    return berr(err, e, "mkdir %s/%s", root, id);
  }
  chmod(c->dir, 0711); /* umask */
  c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->dirfd < 0 || flock(c->dirfd, LOCK_EX) < 0) {
    int e = errno;
    rmdir(c->dir);
    container_free(c);
    return berr(err, e, "open state dir");
  }
  c->owner = geteuid();
  *out = c;
  return 0;
}

bool state_valid_id(const char *id)
{
  if (id == NULL || *id == '\0' || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return false;
  for (const char *p = id; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
      return false;
  return true;
}

int state_load(const char *root, const char *id, bool lock, struct container **out,
               bottle_error_t *err)
{
  if (!state_valid_id(id))
    return berr(err, 0, "container does not exist");
  struct container *c = container_new(root, id);
  c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->dirfd < 0) {
    int e = errno;
    container_free(c);
    if (e == ENOENT)
      return berr(err, 0, "container does not exist");
    return berr(err, e, "open %s/%s", root, id);
  }
  if (lock && flock(c->dirfd, LOCK_EX) < 0) {
    int e = errno;
    container_free(c);
    return berr(err, e, "lock container %s", id);
  }
  struct stat st;
  if (fstat(c->dirfd, &st) == 0)
    c->owner = st.st_uid;
  cleanup_free char *text = read_file_at(c->dirfd, STATE_FILE, NULL);
  if (text == NULL) {
    int e = errno;
    container_free(c);
    if (e == ENOENT)
      return berr(err, 0, "container does not exist");
    return berr(err, e, "read state of %s", id);
  }
  cleanup_cjson cJSON *j = cJSON_Parse(text);
  if (j == NULL) {
    container_free(c);
    return berr(err, 0, "state of %s is not valid JSON", id);
  }
  c->pid = (pid_t)json_int(j, "pid", 0);
  c->start_time = (unsigned long long)json_double(j, "start_time", 0);
  c->bundle = xstrdup(json_str(j, "bundle", ""));
  c->rootfs = xstrdup(json_str(j, "rootfs", ""));
  c->created = xstrdup(json_str(j, "created", ""));
  c->private_pidns = cJSON_IsTrue(cJSON_GetObjectItem(j, "private_pidns"));
  c->egress_hardening = cJSON_IsTrue(cJSON_GetObjectItem(j, "egress_hardening"));
  c->bottle = cJSON_DetachItemFromObject(j, "bottle");
  if (cJSON_IsNull(c->bottle)) {
    cJSON_Delete(c->bottle);
    c->bottle = NULL;
  }
  cJSON *cfg = cJSON_DetachItemFromObject(j, "config");
  c->config = cfg != NULL ? cfg : cJSON_CreateObject();
  cJSON *cg = cJSON_GetObjectItem(j, "cgroup");
  if (cg != NULL && !cJSON_IsNull(cg)) {
    if (cgroup_from_json(cg, &c->cgroup, err) < 0) {
      container_free(c);
      return berr_wrap(err, "load cgroup of %s", id);
    }
  }
  *out = c;
  return 0;
}

int state_save(const struct container *c, bottle_error_t *err)
{
  cleanup_cjson cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "id", c->id);
  cJSON_AddNumberToObject(j, "pid", c->pid);
  cJSON_AddNumberToObject(j, "start_time", (double)c->start_time);
  cJSON_AddStringToObject(j, "bundle", c->bundle ? c->bundle : "");
  cJSON_AddStringToObject(j, "rootfs", c->rootfs ? c->rootfs : "");
  cJSON_AddStringToObject(j, "created", c->created ? c->created : "");
  cJSON_AddBoolToObject(j, "private_pidns", c->private_pidns);
  cJSON_AddBoolToObject(j, "egress_hardening", c->egress_hardening);
  if (c->bottle != NULL)
    cJSON_AddItemReferenceToObject(j, "bottle", c->bottle);
  if (c->cgroup != NULL)
    cJSON_AddItemToObject(j, "cgroup", cgroup_to_json(c->cgroup));
  cJSON_AddItemReferenceToObject(j, "config", c->config);
  cleanup_free char *text = cJSON_PrintUnformatted(j);
  if (text == NULL)
    return berr(err, ENOMEM, "serialise state");
  if (write_file_atomic_at(c->dirfd, STATE_FILE, text, strlen(text), 0600) < 0)
    return berr(err, errno, "write %s/%s", c->dir, STATE_FILE);
  return 0;
}

int state_remove_path(const char *root, const char *id)
{
  if (!state_valid_id(id))
    return -1;
  cleanup_free char *dir = xasprintf("%s/%s", root, id);
  return rm_rf(dir);
}

int state_remove(struct container *c, bottle_error_t *err)
{
  if (rm_rf(c->dir) < 0 && errno != ENOENT)
    return berr(err, errno, "remove %s", c->dir);
  return 0;
}

void container_free(struct container *c)
{
  if (c == NULL)
    return;
  if (c->dirfd >= 0)
    close(c->dirfd);
  free(c->id);
  free(c->dir);
  free(c->bundle);
  free(c->rootfs);
  free(c->created);
  cJSON_Delete(c->config);
  cJSON_Delete(c->bottle);
  if (c->cgroup != NULL)
    cgroup_free(c->cgroup);
  free(c);
}

#include "runtime/bottle/pod.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/bottle/bottled.h"
#include "runtime/container/spec.h"
#include "runtime/container/state.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

/* containerd's CRI and CRI-O's names for the same two facts */
static const struct {
  const char *type, *sandbox_id;
} pod_keys[] = {
    {"io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"},
    {"io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"},
};

enum pod_role { ROLE_NONE, ROLE_SANDBOX, ROLE_MEMBER };

struct pod_claim {
  enum pod_role role;
  const char *sandbox_id; /* ROLE_MEMBER */
  const char *key;        /* the annotation that said so */
};

static int read_claim(const cJSON *config, struct pod_claim *c, bottle_error_t *err)
{
  const cJSON *ann = cJSON_GetObjectItemCaseSensitive(config, "annotations");
  *c = (struct pod_claim){ROLE_NONE, NULL, NULL};
  for (size_t i = 0; i < sizeof(pod_keys) / sizeof(*pod_keys); i++) {
    const char *type = json_str(ann, pod_keys[i].type, NULL);
    if (type == NULL)
      continue;
    if (strcmp(type, "sandbox") == 0) {
      *c = (struct pod_claim){ROLE_SANDBOX, NULL, pod_keys[i].type};
      return 0;
    }
    if (strcmp(type, "container") != 0)
      return berr(err, 0,
                  "annotations: %s is %s; a pod's container is \"sandbox\" or \"container\"",
                  pod_keys[i].type, type);
    const char *sid = json_str(ann, pod_keys[i].sandbox_id, "");
    /* the id names a directory under the root: runc's id rule keeps it there */
    if (!state_valid_id(sid))
      return berr(err, 0, "annotations: %s \"%s\" is not a container id", pod_keys[i].sandbox_id,
                  sid);
    *c = (struct pod_claim){ROLE_MEMBER, sid, pod_keys[i].sandbox_id};
    return 0;
  }
  return 0;
}

static cJSON *load_record(const struct bottle_context *ctx, const char *id)
{
  cleanup_free char *path =
      xasprintf("%s/" BOTTLED_DIR "/%s/record.json", ctx->base.state_root, id);
  cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
  return text ? cJSON_Parse(text) : NULL;
}

/* Whether the netns file st is bottle's agent netns: the record's bind mount, compared by
 * device and inode (a record written before the agent was made names none). */
static bool is_agent_netns(const cJSON *record, const struct stat *st)
{
  const char *agent = json_str(record, "agent_netns", NULL);
  return agent != NULL && stat_same_file(st, agent);
}

/* The bottle under ctx->base.state_root whose agent netns is st, with its record; NULL when none.
 */
static char *find_bottle(const struct bottle_context *ctx, const struct stat *st, cJSON **record)
{
  cleanup_free char *dir = xasprintf("%s/" BOTTLED_DIR, ctx->base.state_root);
  DIR *d = opendir(dir);
  if (d == NULL)
    return NULL;
  char *found = NULL;
  struct dirent *e;
  while (found == NULL && (e = readdir(d)) != NULL) {
    if (!state_valid_id(e->d_name))
      continue;
    cJSON *rec = load_record(ctx, e->d_name);
    if (is_agent_netns(rec, st)) {
      found = xstrdup(e->d_name);
      *record = rec;
    } else {
      cJSON_Delete(rec);
    }
  }
  closedir(d);
  return found;
}

void pod_join_free(struct pod_join *j)
{
  free(j->bottle);
  cJSON_Delete(j->record);
  free(j->plain_pod);
  free(j->sandbox_id);
  *j = (struct pod_join){0};
}

/* The pid of id's init while it runs, with its state's bottle record (NULL: plain); 0 when id
 * has no state or no running init. */
static pid_t running_init(const struct bottle_context *ctx, const char *id, bool *bottled)
{
  struct container *c = NULL;
  bottle_error_t e = {0};
  if (state_load(ctx->base.state_root, id, false, &c, &e) < 0) {
    berr_clear(&e);
    return 0;
  }
  pid_t pid = container_init_alive(c) ? c->pid : 0;
  *bottled = c->bottle != NULL;
  container_free(c);
  return pid;
}

int pod_find_join(const struct bottle_context *ctx, const cJSON *config, struct pod_join *j,
                  bottle_error_t *err)
{
  *j = (struct pod_join){0};
  struct pod_claim claim;
  if (read_claim(config, &claim, err) < 0)
    return -1;
  const char *path = json_str(spec_namespace(config, "network"), "path", "");
  /* The netns is judged once, on an fd of ours (non-blocking: the bundle may name a FIFO):
   * what the path names later does not matter,
   * a member joins the bottle's own bind mount of it (bottled.c). */
  struct stat st;
  bool have_ns = false;
  if (*path != '\0') {
    cleanup_close int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    have_ns = fd >= 0 && fstat(fd, &st) == 0;
    if (!have_ns && claim.role == ROLE_MEMBER)
      return berr(err, errno, "linux.namespaces: network path %s", path);
  }
  cJSON *rec = NULL;
  cleanup_free char *found = have_ns ? find_bottle(ctx, &st, &rec) : NULL;
  cleanup_cjson cJSON *found_rec = rec;

  if (claim.role == ROLE_SANDBOX) {
    if (found != NULL)
      return berr(err, 0,
                  "linux.namespaces: network path %s is the agent netns of bottled container %s, "
                  "which a pod sandbox (annotation %s) may not join; give the sandbox its own "
                  "network",
                  path, found, claim.key);
    return 0;
  }
  if (claim.role == ROLE_NONE) {
    if (found != NULL) {
      j->bottle = take_ptr(found);
      j->record = take_ptr(found_rec);
    }
    return 0;
  }
  j->sandbox_id = xstrdup(claim.sandbox_id);
  cleanup_cjson cJSON *pod_rec = load_record(ctx, claim.sandbox_id);
  if (found != NULL && strcmp(found, claim.sandbox_id) != 0)
    return berr(err, 0,
                "linux.namespaces: network path %s is the agent netns of bottle %s, not of pod %s "
                "that annotation %s names; a pod's container joins its own pod's network",
                path, found, claim.sandbox_id, claim.key);
  if (found != NULL) {
    j->bottle = take_ptr(found);
    j->record = take_ptr(found_rec);
    return 0;
  }
  if (pod_rec != NULL)
    return berr(err, 0,
                "linux.namespaces: network %s is not the agent netns of bottled pod %s (annotation "
                "%s); a container of a bottled pod joins the pod's network",
                *path                                       ? path
                : spec_namespace(config, "network") != NULL ? "(a new namespace)"
                                                            : "(none: the host's)",
                claim.sandbox_id, claim.key);
  /* A plain pod's container is plain only in that pod's own netns: a sandbox-id naming some
   * plain container says nothing about a network path elsewhere (the host's, say), which
   * today's create judges. */
  bool bottled = false;
  pid_t sandbox = running_init(ctx, claim.sandbox_id, &bottled);
  cleanup_free char *sandbox_net = sandbox > 0 ? xasprintf("/proc/%d/ns/net", (int)sandbox) : NULL;
  if (sandbox > 0 && !bottled && have_ns && stat_same_file(&st, sandbox_net))
    j->plain_pod = xstrdup(claim.sandbox_id);
  return 0;
}

/* Whether the container asks anything of the policy itself (a pod's annotations reach its
 * containers too under containerd's pod_annotations: asking the pod's own is no conflict). */
static bool asks_policy(const cJSON *config)
{
  const cJSON *a;
  cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(config, "annotations"))
  {
    if (a->string != NULL && strncmp(a->string, "bottle.", 7) == 0)
      return true;
  }
  cJSON_ArrayForEach(a, json_path(config, "process.env"))
  {
    if (cJSON_IsString(a) && strncmp(a->valuestring, "BOTTLE_", 7) == 0)
      return true;
  }
  return false;
}

char *pod_policy_fingerprint(const struct bottle_policy *pol, unsigned port)
{
  size_t len = 0;
  cleanup_free char *yaml = cfg_pipelock_yaml(pol, "0.0.0.0", port, &len, NULL);
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; yaml != NULL && i < len; i++)
    h = (h ^ (unsigned char)yaml[i]) * 1099511628211ULL;
  /* inbound forwarding is the bottle's network, not pipelock's config */
  h = (h ^ (unsigned char)pol->inbound) * 1099511628211ULL;
  return xasprintf("%016llx", (unsigned long long)h);
}

int pod_check_policy(const struct pod_join *j, const cJSON *config, const struct bottle_policy *pol,
                     bool pod_bottled, bottle_error_t *err)
{
  const char *pod = j->sandbox_id ? j->sandbox_id : j->bottle ? j->bottle : j->plain_pod;
  if (!asks_policy(config))
    return 0;
  bool bottled = pol->mode != BOTTLE_MODE_PLAIN;
  if (bottled != pod_bottled)
    return berr(err, 0,
                "%s: asks for mode %s in pod %s, which is %s (its sandbox's annotations decide); "
                "drop the container's own bottle.mode",
                pol->mode_source, cfg_mode_name(pol->mode), pod,
                cfg_mode_name(pod_bottled ? BOTTLE_MODE_BOTTLED : BOTTLE_MODE_PLAIN));
  if (!pod_bottled)
    return 0;
  unsigned port = (unsigned)json_int(j->record, "proxy_port", 0);
  cleanup_free char *mine = pod_policy_fingerprint(pol, port);
  const char *theirs = json_str(j->record, "policy", "");
  if (strcmp(mine, theirs) != 0)
    return berr(err, 0,
                "annotations/env: the container's bottle.* annotations and BOTTLE_* env ask for "
                "another policy (profile %s, inbound %s) than pod %s has: a pod has one proxy and "
                "one network, whose policy its sandbox's annotations decide; drop them from the "
                "container",
                pol->profile ? pol->profile : "none", pol->inbound ? "tcp" : "none", pod);
  return 0;
}

char *pod_creator_ns_dir(const struct bottle_context *ctx, const char *bottle)
{
  bool bottled = false;
  pid_t pid = running_init(ctx, bottle, &bottled);
  return pid > 0 && bottled ? xasprintf("/proc/%d/ns", (int)pid) : NULL;
}

bool pod_has_running_members(const struct bottle_context *ctx, const char *bottle)
{
  DIR *d = opendir(ctx->base.state_root);
  if (d == NULL)
    return false;
  bool running = false;
  struct dirent *e;
  while (!running && (e = readdir(d)) != NULL) {
    if (!state_valid_id(e->d_name) || strcmp(e->d_name, bottle) == 0)
      continue;
    struct container *c = NULL;
    bottle_error_t err = {0};
    if (state_load(ctx->base.state_root, e->d_name, false, &c, &err) < 0) {
      berr_clear(&err);
      continue;
    }
    running = c->bottle != NULL && strcmp(json_str(c->bottle, "pod", ""), bottle) == 0 &&
              container_status(c) == STATUS_RUNNING;
    container_free(c);
  }
  closedir(d);
  return running;
}

#include "runtime/bottle/live_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config/hostname.h"
#include "config/policy.h"
#include "runtime/bottle/bottled.h"
#include "runtime/bottle/sidecar.h"
#include "runtime/container/container.h"
#include "runtime/container/state.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "runtime/rootfs/safepath.h"

#define POLICY_FILE "policy.json"
#define SIDECAR_STATE_ID "sidecar" /* bottled.c's SIDECAR_ID */
#define YAML_DIR "/etc"
#define YAML_NAME "pipelock.yaml"
_Static_assert(sizeof(CFG_PIPELOCK_CONFIG_PATH) == sizeof(YAML_DIR "/" YAML_NAME),
               "the YAML's directory and name follow CFG_PIPELOCK_CONFIG_PATH");

static void pol_cleanup(struct bottle_policy **p)
{
  cfg_policy_free(*p);
}

/* One bottle as `bottle policy` sees it: its dir under <root>/.bottle and its record. */
struct live_bottle {
  char *owner; /* the bottle's id: id itself, or the pod's for a member */
  char *dir;
  int dirfd;
  cJSON *record;
};

static void live_bottle_free(struct live_bottle *b)
{
  free(b->owner);
  free(b->dir);
  if (b->dirfd >= 0)
    close(b->dirfd);
  cJSON_Delete(b->record);
}

static int open_bottle(const struct bottle_context *ctx, const char *id, struct live_bottle *b,
                       bottle_error_t *err)
{
  struct container *c = NULL;
  if (state_load(ctx->base.state_root, id, false, &c, err) < 0)
    return -1;
  if (c->bottle == NULL) {
    container_free(c);
    return berr(err, 0,
                "%s is not bottled (mode plain, or not created by bottle): it has no proxy and no "
                "egress policy to show or change",
                id);
  }
  b->owner = xstrdup(json_str(c->bottle, "pod", id));
  container_free(c);
  b->dir = xasprintf("%s/" BOTTLED_DIR "/%s", ctx->base.state_root, b->owner);
  b->dirfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (b->dirfd < 0)
    return berr(err, errno, "bottle %s: open %s", b->owner, b->dir);
  cleanup_free char *text = read_file_at(b->dirfd, "record.json", NULL);
  b->record = text ? cJSON_Parse(text) : NULL;
  if (b->record == NULL)
    return berr(err, errno, "bottle %s: cannot read %s/record.json", b->owner, b->dir);
  return 0;
}

/* The policy as last changed (policy.json), else as created (the record's). */
static int load_policy(const struct live_bottle *b, struct bottle_policy **pol, bottle_error_t *err)
{
  cleanup_free char *text = read_file_at(b->dirfd, POLICY_FILE, NULL);
  cleanup_cjson cJSON *changed = text ? cJSON_Parse(text) : NULL;
  if (text != NULL && changed == NULL)
    return berr(err, 0, "bottle %s: %s/%s is not JSON", b->owner, b->dir, POLICY_FILE);
  const cJSON *j = changed ? changed : cJSON_GetObjectItemCaseSensitive(b->record, "egress_policy");
  if (j == NULL)
    return berr(err, 0,
                "bottle %s was created by a bottle that did not record its policy; recreate the "
                "container to show or change it",
                b->owner);
  bottle_error_t ce = {0};
  if (cfg_policy_from_json(j, pol, &ce) < 0)
    return berr(err, 0, "bottle %s: %s", b->owner, ce.msg);
  return 0;
}

int live_policy_show(const struct bottle_context *ctx, const char *id, FILE *out,
                     bottle_error_t *err)
{
  __attribute__((cleanup(live_bottle_free))) struct live_bottle b = {.dirfd = -1};
  __attribute__((cleanup(pol_cleanup))) struct bottle_policy *pol = NULL;
  if (open_bottle(ctx, id, &b, err) < 0 || load_policy(&b, &pol, err) < 0)
    return -1;
  if (strcmp(b.owner, id) != 0)
    fprintf(out, "%s is in the bottle of %s\n", id, b.owner);
  fprintf(out, "bottle %s: %zu host%s allowed\n", b.owner, pol->allowlist.len,
          pol->allowlist.len == 1 ? "" : "s");
  for (size_t i = 0; i < pol->allowlist.len; i++) {
    char origins[1024];
    const char *h = pol->allowlist.items[i];
    cfg_policy_origins(pol, h, origins, sizeof(origins));
    fprintf(out, "  %-40s %s\n", h, origins[0] ? origins : "(unknown)");
  }
  return 0;
}

/* Who asked, as far as the host can tell: the uid, the login uid (the user behind sudo or su)
 * and sudo's user. */
static char *who(void)
{
  cleanup_free char *login = read_file_at(AT_FDCWD, "/proc/self/loginuid", NULL);
  const char *sudo = getenv("SUDO_USER");
  char *w = xasprintf("uid %u", (unsigned)getuid());
  if (login != NULL && strcmp(login, "4294967295") != 0) {
    char *more = xasprintf("%s, login uid %.*s", w, (int)strcspn(login, "\n"), login);
    free(w);
    w = more;
  }
  if (sudo != NULL && sudo[0]) {
    char *more = xasprintf("%s, sudo user %s", w, sudo);
    free(w);
    w = more;
  }
  return w;
}

/* The audit line, in the sidecar's log beside pipelock's (bottle logs shows it). One write on
 * an O_APPEND fd: pipelock's lines are never cut by it. */
static void audit(const struct live_bottle *b, const char *allowed, const char *denied)
{
  char now[64];
  now_rfc3339(now, sizeof(now));
  cleanup_free char *by = who();
  cleanup_cjson cJSON *line = cJSON_CreateObject();
  cJSON_AddStringToObject(line, "level", "info");
  cJSON_AddStringToObject(line, "time", now);
  cJSON_AddStringToObject(line, "component", "bottle");
  cJSON_AddStringToObject(line, "event", "policy_change");
  cJSON_AddStringToObject(line, "allow", allowed);
  cJSON_AddStringToObject(line, "deny", denied);
  cJSON_AddStringToObject(line, "by", by);
  cJSON_AddStringToObject(line, "message", "bottle policy changed the allowlist");
  cleanup_free char *text = cJSON_PrintUnformatted(line);
  cleanup_free char *text_nl = xasprintf("%s\n", text);
  cleanup_close int fd =
      openat(b->dirfd, "sidecar.log", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && write(fd, text_nl, strlen(text_nl)) < 0)
    return; /* the change is made; a full disk must not undo it */
}

/* Replaces the YAML in the sidecar's overlay: a new file beside it, owned and moded as
 * sidecar_rootfs_prepare made the first, renamed over it (pipelock never reads half a file). */
static int write_yaml(const struct live_bottle *b, const char *yaml, size_t len,
                      bottle_error_t *err)
{
  cleanup_free char *merged = xasprintf("%s/fs/merged", b->dir);
  cleanup_close int rootfd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berr(err, errno, "bottle %s: open the sidecar's root %s", b->owner, merged);
  cleanup_close int etc =
      safepath_open(rootfd, YAML_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, err);
  if (etc < 0)
    return berr_wrap(err, "bottle %s: the sidecar's %s", b->owner, YAML_DIR);
  if (write_file_atomic_owned_at(etc, YAML_NAME, yaml, len, 0600, SIDECAR_UID, SIDECAR_GID) < 0)
    return berr(err, errno, "bottle %s: replace %s in the sidecar's root", b->owner,
                CFG_PIPELOCK_CONFIG_PATH);
  return 0;
}

static int running_sidecar(const struct live_bottle *b, struct container **sidecar,
                           bottle_error_t *err)
{
  cleanup_free char *state_root = xasprintf("%s/state", b->dir);
  if (state_load(state_root, SIDECAR_STATE_ID, false, sidecar, err) < 0)
    return berr_wrap(err, "bottle %s: its sidecar", b->owner);
  if (!container_init_alive(*sidecar))
    return berr(err, 0,
                "bottle %s: the sidecar is not running, so the agent has no egress to change "
                "(recreate the container)",
                b->owner);
  return 0;
}

static void append_host(char **list, const char *host)
{
  char *more = (*list)[0] ? xasprintf("%s,%s", *list, host) : xstrdup(host);
  free(*list);
  *list = more;
}

/* Persists the policy, then replaces the YAML; a failed replace puts the old policy back. */
static int commit(const struct live_bottle *b, const struct bottle_policy *pol, const char *yaml,
                  size_t len, bottle_error_t *err)
{
  cleanup_free char *before = read_file_at(b->dirfd, POLICY_FILE, NULL);
  cleanup_cjson cJSON *j = cfg_policy_to_json(pol);
  cleanup_free char *text = cJSON_PrintUnformatted(j);
  if (write_file_atomic_at(b->dirfd, POLICY_FILE, text, strlen(text), 0600) < 0)
    return berr(err, errno, "bottle %s: write %s/%s", b->owner, b->dir, POLICY_FILE);
  if (write_yaml(b, yaml, len, err) == 0)
    return 0;
  if (before != NULL)
    write_file_atomic_at(b->dirfd, POLICY_FILE, before, strlen(before), 0600);
  else
    unlinkat(b->dirfd, POLICY_FILE, 0);
  return -1;
}

int live_policy_change(const struct bottle_context *ctx, const char *id,
                       const struct live_policy_change *changes, size_t n, bottle_error_t *err)
{
  __attribute__((cleanup(live_bottle_free))) struct live_bottle b = {.dirfd = -1};
  __attribute__((cleanup(pol_cleanup))) struct bottle_policy *pol = NULL;
  if (open_bottle(ctx, id, &b, err) < 0)
    return -1;
  /* one change at a time per bottle: each reads the policy the last one wrote */
  if (flock(b.dirfd, LOCK_EX) < 0)
    return berr(err, errno, "bottle %s: lock %s", b.owner, b.dir);
  if (load_policy(&b, &pol, err) < 0)
    return -1;
  cleanup_free char *allowed = xstrdup(""), *denied = xstrdup("");
  for (size_t i = 0; i < n; i++) {
    bottle_error_t ce = {0};
    char normal[CFG_HOST_MAX + 1];
    int rc = changes[i].allow
                 ? cfg_policy_allow(pol, changes[i].host, "bottle policy --allow", normal, &ce)
                 : cfg_policy_deny(pol, changes[i].host, normal, &ce);
    if (rc < 0)
      return berr(err, 0, "bottle policy %s %s; nothing was changed", b.owner, ce.msg);
    append_host(changes[i].allow ? &allowed : &denied, normal);
  }
  const char *ip = json_str(b.record, "sidecar_ip", NULL);
  long long port = json_int(b.record, "proxy_port", 0);
  if (ip == NULL || port <= 0)
    return berr(err, 0, "bottle %s: its record names no sidecar address", b.owner);
  bottle_error_t ce = {0};
  size_t len = 0;
  cleanup_free char *yaml = cfg_pipelock_yaml(pol, ip, (unsigned)port, &len, &ce);
  if (yaml == NULL)
    return berr(err, 0, "bottle %s: %s; nothing was changed", b.owner, ce.msg);
  struct container *sidecar = NULL;
  if (running_sidecar(&b, &sidecar, err) < 0 || commit(&b, pol, yaml, len, err) < 0) {
    container_free(sidecar);
    return -1;
  }
  audit(&b, allowed, denied);
  /* pipelock reloads on the rename it watches for; SIGHUP makes it reload now, and a reload
   * of the same file twice changes nothing */
  int rc = container_kill(sidecar, SIGHUP, false, err);
  container_free(sidecar);
  if (rc < 0)
    return berr_wrap(err,
                     "bottle %s: the policy is written, but pipelock was not signalled to "
                     "reload it",
                     b.owner);
  return 0;
}

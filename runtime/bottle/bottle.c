#include "runtime/bottle/bottle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/policy.h"
#include "runtime/bottle/pod.h"
#include "runtime/bottle/start_gate.h"
#include "runtime/container/spec.h"
#include "runtime/container/state.h"
#include "runtime/container/waitloop.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

extern char **environ;

static void cfg_cleanup(struct bottle_config **c)
{
  cfg_free(*c);
}
static void pol_cleanup(struct bottle_policy **p)
{
  cfg_policy_free(*p);
}

int bottle_create(const struct bottle_context *ctx, struct create_opts *o, struct container **out,
                  bottle_error_t *err)
{
  const struct bottled_overrides *ov = ctx->overrides;
  cJSON *config = NULL;
  if (spec_load(NULL, &config, err) < 0)
    return -1;
  cleanup_cjson cJSON *config_owner = config;
  if (spec_validate(config, err) < 0)
    return -1;

  __attribute__((cleanup(cfg_cleanup))) struct bottle_config *cfg = NULL;
  if (cfg_load(ctx->config_path, environ, &cfg, err) < 0)
    return -1;
  const cJSON *process = cJSON_GetObjectItemCaseSensitive(config, "process");
  cleanup_free char **env = NULL;
  {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(process, "env");
    int n = cJSON_GetArraySize(e);
    env = calloc((size_t)n + 1, sizeof(char *));
    if (env == NULL)
      abort();
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, e)
    {
      if (cJSON_IsString(it))
        env[k++] = it->valuestring;
    }
  }
  struct cfg_container_input in = {
      .annotations = cJSON_GetObjectItemCaseSensitive(config, "annotations"),
      .env = env,
      .profile = ov ? ov->profile : NULL,
      .allow = ov ? ov->allow : NULL,
  };
  __attribute__((cleanup(pol_cleanup))) struct bottle_policy *pol = NULL;
  if (cfg_resolve(cfg, &in, &pol, err) < 0)
    return -1;

  __attribute__((cleanup(pod_join_free))) struct pod_join join = {0};
  if (pod_find_join(ctx, config, &join, err) < 0)
    return -1;
  if ((join.bottle != NULL || join.plain_pod != NULL) &&
      pod_check_policy(&join, config, pol, join.bottle != NULL, err) < 0)
    return -1;
  if (join.bottle != NULL) {
    if (ov && (ov->dry_run || (ov->confirm && !ov->confirm())))
      return berr(err, 0, "%s joins bottle %s: nothing was created", o->id, join.bottle);
    return bottled_join(ctx, o, take_ptr(config_owner), cfg, &join, out, err);
  }
  if (pol->mode == BOTTLE_MODE_PLAIN || join.plain_pod != NULL) {
    if (ov && ov->print_plan)
      printf("bottle plan for %s: plain container (%s), no egress confinement\n", o->id,
             pol->mode_source);
    if (ov && ov->dry_run)
      return 0;
    if (ov && ov->confirm && !ov->confirm())
      return berr(err, 0, "not confirmed: nothing was created");
    o->config = take_ptr(config_owner);
    return container_create(&ctx->base, o, out, err);
  }
  return bottled_create_new(ctx, o, take_ptr(config_owner), cfg, pol, out, err);
}

int bottle_delete(const struct bottle_context *ctx, const char *id, struct container *c,
                  bottle_error_t *err)
{
  int r = 0;
  if (c != NULL) {
    r = container_destroy(c, err);
    container_free(c);
  } else {
    state_remove_path(ctx->base.state_root, id);
  }
  if (r == 0)
    r = bottled_destroy(ctx, id, err);
  return r;
}

/* Waits for the started container c in the foreground and, unless r->keep, deletes it. */
static int wait_and_delete(const struct bottle_context *ctx, struct container *c, int tty_peer,
                           const struct bottle_run_opts *r)
{
  flock(c->dirfd, LOCK_UN); /* others may pause/kill/exec while we wait */
  bool terminal = cJSON_IsTrue(json_path(c->config, "process.terminal"));
  int status =
      terminal && tty_peer >= 0 ? waitloop_run_tty(c->pid, tty_peer) : waitloop_run(c->pid);
  if (!r->keep) {
    struct container *again = NULL;
    bottle_error_t e2 = {0};
    if (container_load(&ctx->base, c->id, true, &again, &e2) == 0)
      bottle_delete(ctx, c->id, again, &e2);
    if (e2.set)
      log_msg(LOG_WARNING, "run: cleanup: %s", e2.msg);
  }
  return status;
}

int bottle_run(const struct bottle_context *ctx, struct create_opts *o,
               const struct bottle_run_opts *r, bottle_error_t *err)
{
  int status = 0;
  struct container *c = NULL;
  int tty_pair[2] = {-1, -1};
  if (!r->detach && o->console_socket == NULL &&
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty_pair) == 0) {
    /* offered to create: used only when process.terminal is true */
    o->has_console_peer = true;
    o->console_peer = tty_pair[1];
  }
  /* bottle-run owns its agent: when it dies, even by SIGKILL, its containers go with it. */
  o->die_with_caller = ctx->overrides != NULL && !r->detach;
  if (!r->detach) {
    if (!r->no_subreaper)
      prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    waitloop_block_signals();
  }
  if (chdir(o->bundle) < 0) {
    berr(err, errno, "chdir to bundle %s", o->bundle);
  } else if (bottle_create(ctx, o, &c, err) == 0) {
    if (tty_pair[1] >= 0) {
      close(tty_pair[1]);
      tty_pair[1] = -1;
    }
    if (container_start(c, start_gate, err) < 0)
      bottle_delete(ctx, o->id, take_ptr(c), NULL);
    else if (!r->detach)
      status = wait_and_delete(ctx, c, tty_pair[0], r);
    container_free(c);
  }
  for (int i = 0; i < 2; i++)
    if (tty_pair[i] >= 0)
      close(tty_pair[i]);
  return err->set ? -1 : status;
}

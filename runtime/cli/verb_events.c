/* `events`: runc's event stream, one JSON object per line: {"type":"stats","id":...,"data":...}
 * every --interval, and {"type":"oom","id":...} when the kernel OOM-kills a process of the
 * container (what containerd's and Docker's OOM handling reads), until the container stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/container.h"
#include "runtime/bottle/bypass.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container/state.h"
#include "runtime/cli/verbs.h"
#include "runtime/lib/util.h"

/* How often the oom-kill counter is read between stats: runc is woken by the kernel (eventfd on
 * v1, inotify on v2); a short poll reports the kill as promptly without a second mechanism. */
#define OOM_POLL_MS 100

/* One event line; data (taken) is left out when NULL, as runc's omitempty. */
static void print_event(const struct container *c, const char *type, cJSON *data)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", type);
  cJSON_AddStringToObject(o, "id", c->id);
  if (data != NULL)
    cJSON_AddItemToObject(o, "data", data);
  char *s = cJSON_PrintUnformatted(o);
  printf("%s\n", s);
  fflush(stdout);
  free(s);
  cJSON_Delete(o);
}

static int print_stats(struct container *c, bottle_error_t *err)
{
  cJSON *data = cgroup_stats(c->cgroup, err);
  if (data == NULL)
    return -1;
  /* A bottled agent's refused bypass attempts ride along (docs/security.md §5a); clients that
   * parse runc's stats ignore a field they do not know. */
  bottle_error_t ignored = {0};
  cJSON *bypass = c->bottle != NULL ? bypass_counts_json(c, &ignored) : NULL;
  if (bypass != NULL)
    cJSON_AddItemToObject(data, "bypass", bypass);
  berr_clear(&ignored);
  print_event(c, "stats", data);
  return 0;
}

/* Stats every interval and an oom event each time the cgroup's oom-kill counter has risen, until
 * the container stops. The counter is read once more after the stop, so that a kill that ended
 * the container is still reported. */
static int follow(struct container *c, long interval_ms, bottle_error_t *err)
{
  unsigned long long seen = 0;
  if (cgroup_oom_kills(c->cgroup, &seen, err) < 0)
    return -1;
  long long next_stats = monotonic_ms();
  for (;;) {
    bool stopped = container_status(c) == STATUS_STOPPED;
    unsigned long long kills = 0;
    if (cgroup_oom_kills(c->cgroup, &kills, err) < 0)
      return -1;
    if (kills > seen)
      print_event(c, "oom", NULL);
    seen = kills;
    if (stopped)
      return 0;
    long long now = monotonic_ms();
    if (now >= next_stats) {
      if (print_stats(c, err) < 0)
        return -1;
      next_stats = now + interval_ms;
    }
    long long wait = next_stats - monotonic_ms();
    sleep_ms(wait < OOM_POLL_MS ? (wait > 0 ? (long)wait : 0) : OOM_POLL_MS);
  }
}

int verb_events(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {{"interval", required_argument, NULL, 'i'},
                                       {"stats", optional_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
  long interval_ms = 5000;
  bool stats = false;
  bottle_error_t err = {0};
  cli_normalize(argc, argv, opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    if (ch == 'i') {
      if (cli_parse_duration_ms(optarg, &interval_ms) < 0 || interval_ms <= 0) {
        berr(&err, 0, "invalid --interval %s (use e.g. 5s)", optarg);
        return verb_fail(&err, NULL, 1);
      }
    } else if (ch == 's') {
      stats = cli_bool(optarg);
    } else {
      return cli_usage_error("events", "flag provided but not defined");
    }
  }
  const char *id = cli_one_id(argc, argv, optind, "events");
  if (id == NULL)
    return 1;
  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, false, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  int rc = 0;
  if (container_status(c) == STATUS_STOPPED || c->cgroup == NULL) {
    berr(&err, 0, "container with id %s is not running", id);
    rc = verb_fail(&err, NULL, 1);
  } else if (stats) {
    if (print_stats(c, &err) < 0)
      rc = verb_fail(&err, NULL, 1);
  } else if (follow(c, interval_ms, &err) < 0) {
    rc = verb_fail(&err, NULL, 1);
  }
  container_free(c);
  return rc;
}

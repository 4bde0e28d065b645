#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/container/state.h"
#include "runtime/cli/verbs.h"

static int print_stats(struct container *c, bottle_error_t *err)
{
  cJSON *data = cgroup_stats(c->cgroup, err);
  if (data == NULL)
    return -1;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "stats");
  cJSON_AddStringToObject(o, "id", c->id);
  cJSON_AddItemToObject(o, "data", data);
  char *s = cJSON_PrintUnformatted(o);
  printf("%s\n", s);
  fflush(stdout);
  free(s);
  cJSON_Delete(o);
  return 0;
}

int verb_events(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {{"interval", required_argument, NULL, 'i'},
                                       {"stats", optional_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
  long interval_ms = 5000;
  bool stats = false;
  bottle_error_t err = NULL;
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
  if (state_load(g->root, id, false, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  int rc = 0;
  if (container_status(c) == STATUS_STOPPED || c->cgroup == NULL) {
    berr(&err, 0, "container with id %s is not running", id);
    rc = verb_fail(&err, NULL, 1);
  } else if (stats) {
    if (print_stats(c, &err) < 0)
      rc = verb_fail(&err, NULL, 1);
  } else {
    while (container_status(c) != STATUS_STOPPED) {
      if (print_stats(c, &err) < 0) {
        rc = verb_fail(&err, NULL, 1);
        break;
      }
      struct timespec ts = {interval_ms / 1000, (interval_ms % 1000) * 1000000};
      nanosleep(&ts, NULL);
    }
  }
  container_free(c);
  return rc;
}

/* `bottle logs`: the sidecar's audit log of a bottled container, found the way a Docker user
 * names it (find_bottled.c). */
#include "runtime/cli/verb_logs.h"
#include "runtime/cli/find_bottled.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/bottle/bottled.h"
#include "runtime/bottle/bypass.h"
#include "runtime/container/state.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

#define FOLLOW_POLL_MS 200

/* What goes to a terminal: the agent chooses hosts and paths, so controls (escape sequences)
 * and non-ASCII (bidi overrides) are shown as '?'. */
static void put_clean(const char *s)
{
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    putchar(ch < 0x20 || ch >= 0x7f ? '?' : ch);
  }
}

static bool is_meta_key(const char *k)
{
  static const char *const meta[] = {"level", "time",   "component", "message",
                                     "event", "method", "target"};
  for (size_t i = 0; i < sizeof(meta) / sizeof(*meta); i++)
    if (strcmp(k, meta[i]) == 0)
      return true;
  return false;
}

/* One readable line per audit event: blocks as "BLOCKED METHOD TARGET (scanner: reason,
 * status)", other events as "event METHOD TARGET key=value ... (message)", the time last. */
static void print_readable(const cJSON *j)
{
  const char *event = json_str(j, "event", NULL);
  const char *method = json_str(j, "method", NULL), *target = json_str(j, "target", NULL);
  bool blocked = event != NULL && strcmp(event, "blocked") == 0;
  put_clean(blocked ? "BLOCKED" : event ? event : json_str(j, "level", "log"));
  if (method != NULL) {
    putchar(' ');
    put_clean(method);
  }
  if (target != NULL) {
    putchar(' ');
    put_clean(target);
  }
  if (blocked) {
    printf(" (");
    put_clean(json_str(j, "scanner", "?"));
    printf(": ");
    put_clean(json_str(j, "reason", "?"));
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
    if (cJSON_IsNumber(status))
      printf(", %d", status->valueint);
    putchar(')');
  } else {
    const cJSON *f;
    cJSON_ArrayForEach(f, j)
    {
      if (f->string == NULL || is_meta_key(f->string) || cJSON_IsObject(f) || cJSON_IsArray(f))
        continue;
      putchar(' ');
      put_clean(f->string);
      putchar('=');
      if (cJSON_IsString(f))
        put_clean(f->valuestring);
      else if (cJSON_IsNumber(f))
        printf("%.15g", f->valuedouble);
      else
        printf("%s", cJSON_IsTrue(f) ? "true" : cJSON_IsFalse(f) ? "false" : "null");
    }
    const char *message = json_str(j, "message", NULL);
    if (message != NULL) {
      printf(" (");
      put_clean(message);
      putchar(')');
    }
  }
  const char *when = json_str(j, "time", NULL);
  if (when != NULL) {
    printf(" at ");
    put_clean(when);
  }
  putchar('\n');
}

struct logs_opts {
  bool follow, blocked_only, json;
};

static void print_line(const char *line, const struct logs_opts *o)
{
  cleanup_cjson cJSON *j = line[0] == '{' ? cJSON_Parse(line) : NULL;
  if (o->blocked_only && strcmp(json_str(j, "event", ""), "blocked") != 0)
    return;
  if (o->json) {
    if (j != NULL)
      puts(line);
  } else if (j != NULL) {
    print_readable(j);
  } else {
    put_clean(line);
    putchar('\n');
  }
}

/* A dead proxy writes no last words: say it, so that the reader knows egress is closed. */
static void note_dead_sidecar(const struct bottle_context *ctx, const char *id,
                              const struct logs_opts *o)
{
  const char *sidecar = bottled_sidecar_status(ctx, id);
  if (sidecar != NULL && strcmp(sidecar, "stopped") == 0)
    fprintf(o->json ? stderr : stdout,
            "bottle: the sidecar is not running: the agent has no egress (recreate the "
            "container)\n");
}

/* Bypass telemetry beside pipelock's blocks: what the agent sent on its link that never reached
 * the proxy, from the bottle's counters (gone once it is deleted; root only). One line per kind
 * seen, or with --json one line with every count. */
static void print_bypass(const struct bottle_context *ctx, const char *id,
                         const struct logs_opts *o)
{
  struct container *c = NULL;
  bottle_error_t err = {0};
  cleanup_cjson cJSON *counts = NULL;
  if (container_load(&ctx->base, id, false, &c, &err) == 0) {
    counts = bypass_counts_json(c, &err);
    container_free(c);
  }
  if (counts == NULL)
    log_msg(LOG_DEBUG, "no bypass counts for %s: %s", id, err.set ? err.msg : "?");
  berr_clear(&err);
  if (counts == NULL)
    return;
  if (o->json) {
    cleanup_cjson cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "component", "bottle");
    cJSON_AddStringToObject(line, "event", "bypass");
    cJSON_AddItemReferenceToObject(line, "refused_packets", counts);
    cJSON_AddStringToObject(line, "message", "packets refused below the proxy, per kind");
    cleanup_free char *text = cJSON_PrintUnformatted(line);
    puts(text);
    return;
  }
  const cJSON *kind;
  cJSON_ArrayForEach(kind, counts)
  {
    double n = cJSON_GetNumberValue(kind);
    if (n > 0)
      printf("BYPASS %s: %.0f packet%s refused below the proxy (%s)\n", kind->string, n,
             n == 1 ? "" : "s", bypass_kind_meaning(kind->string));
  }
}

static bool log_replaced(FILE *f, const char *path)
{
  struct stat now, open_one;
  return stat(path, &now) == 0 && fstat(fileno(f), &open_one) == 0 &&
         (now.st_ino != open_one.st_ino || now.st_dev != open_one.st_dev);
}

/* Prints the log; with follow, keeps reading until the bottle is deleted. A line is printed
 * only once complete. */
static int print_log(const struct bottle_context *ctx, const char *id, const struct logs_opts *o)
{
  cleanup_free char *path = bottled_log_path(ctx, id);
  cleanup_fclose FILE *f = fopen(path, "re");
  if (f == NULL) {
    log_fatal("container %s has no sidecar log (%s): %s", id, path, strerror(errno));
    return 1;
  }
  cleanup_free char *dir = xasprintf("%s/" BOTTLED_DIR "/%s", ctx->base.state_root, id);
  cleanup_free char *line = NULL, *partial = NULL;
  size_t cap = 0;
  bool noted = false;
  long idle_ms = 0;
  for (;;) {
    ssize_t n = getline(&line, &cap, f);
    if (n > 0) {
      bool complete = line[n - 1] == '\n';
      if (complete)
        line[n - 1] = '\0';
      char *whole = partial != NULL ? xasprintf("%s%s", partial, line) : NULL;
      free(partial);
      partial = NULL;
      if (!complete && o->follow) {
        partial = whole != NULL ? whole : xstrdup(line);
        continue;
      }
      print_line(whole != NULL ? whole : line, o);
      free(whole);
      idle_ms = 0;
      continue;
    }
    if (fflush(stdout) == EOF)
      return 1; /* the reader went away */
    if (!o->follow)
      break;
    clearerr(f);
    if (access(dir, F_OK) < 0)
      return 0; /* deleted: nothing more will come */
    if (log_replaced(f, path)) {
      /* a restarted sidecar writes a new log: follow that one from its start */
      FILE *again = fopen(path, "re");
      if (again != NULL) {
        fclose(f);
        f = again;
        continue;
      }
    }
    if (!noted && idle_ms >= 1000) {
      idle_ms = 0;
      const char *s = bottled_sidecar_status(ctx, id);
      if (s != NULL && strcmp(s, "stopped") == 0) {
        note_dead_sidecar(ctx, id, o);
        noted = true;
      }
    }
    sleep_ms(FOLLOW_POLL_MS);
    idle_ms += FOLLOW_POLL_MS;
  }
  print_bypass(ctx, id, o);
  note_dead_sidecar(ctx, id, o);
  return fflush(stdout) == EOF ? 1 : 0;
}

int verb_logs(struct globals *g, int argc, char **argv)
{
  enum { OPT_BLOCKED = 1000, OPT_JSON };
  static const struct option opts[] = {
      {"follow", no_argument, NULL, 'f'},
      {"blocked", no_argument, NULL, OPT_BLOCKED},
      {"json", no_argument, NULL, OPT_JSON},
      {NULL, 0, NULL, 0},
  };
  /* A command for people, never run by an engine: plain error lines. */
  log_init_plain("bottle logs");
  struct logs_opts o = {0};
  cli_normalize(argc, argv, opts);
  optind = 0;
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
    switch (ch) {
    case 'f':
      o.follow = true;
      break;
    case OPT_BLOCKED:
      o.blocked_only = true;
      break;
    case OPT_JSON:
      o.json = true;
      break;
    default:
      log_fatal("unknown option %s (see bottle logs --help)", argv[optind - 1]);
      return 1;
    }
  }
  if (argc - optind != 1) {
    log_fatal("expected one container (id, id prefix or Docker name; see bottle logs --help)");
    return 1;
  }
  const char *query = argv[optind];
  if (query[0] == '\0') {
    log_fatal("an empty name matches nothing; give a container id, id prefix or Docker name");
    return 1;
  }
  cleanup_free char *root = NULL, *id = NULL;
  int rc = 1;
  if (find_bottled(g->ctx.base.state_root, query, &root, &id) == 0) {
    struct bottle_context at = g->ctx;
    at.base.state_root = root;
    rc = print_log(&at, id, &o);
  }
  return rc;
}

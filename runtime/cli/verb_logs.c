/* `bottle logs`: the sidecar's audit log of a bottled container, found the way a Docker user
 * names it. Without --root every state root an engine gives bottle is searched (runc-cli.md
 * §2: Docker's <exec-root>/runtime-runc/moby, containerd's <root>/<namespace> for the runc
 * shim and for a runtime class with its own Root (docs/engines.md), bottle's and podman's
 * /run/bottle). A container is named by its id, a unique id prefix or, for Docker, its name.
 *
 * Docker does not tell the runtime a container's name. It is in dockerd's
 * <data-root>/containers/<id>/config.v2.json, and the bundle dockerd wrote says where that
 * directory is: the source of the /etc/hostname bind mount. Only root-owned files with the
 * right id are believed, so nothing an agent or its image writes can name another container. */
#include "runtime/cli/verb_logs.h"

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

/* Roots with one directory per containerd namespace below them. */
static const char *const namespaced_roots[] = {"/run/containerd/runc", "/run/containerd/bottle"};
static const char *const flat_roots[] = {"/run/bottle", "/run/docker/runtime-runc/moby"};
#define DOCKER_CONFIG_MAX (4 << 20)
#define FOLLOW_POLL_MS 200

struct roots {
  char **v;
  size_t n;
};

struct bottled_container {
  char *root, *id, *docker_name; /* docker_name: NULL when not a Docker container */
};

struct found {
  struct bottled_container *v;
  size_t n;
};

static void roots_add(struct roots *r, char *root)
{
  r->v = realloc(r->v, (r->n + 1) * sizeof(*r->v));
  if (r->v == NULL)
    abort();
  r->v[r->n++] = root;
}

static void roots_free(struct roots *r)
{
  for (size_t i = 0; i < r->n; i++)
    free(r->v[i]);
  free(r->v);
}

static void search_roots(struct roots *r)
{
  for (size_t i = 0; i < sizeof(flat_roots) / sizeof(*flat_roots); i++)
    roots_add(r, xstrdup(flat_roots[i]));
  for (size_t i = 0; i < sizeof(namespaced_roots) / sizeof(*namespaced_roots); i++) {
    DIR *d = opendir(namespaced_roots[i]);
    if (d == NULL)
      continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (e->d_name[0] != '.' && e->d_type == DT_DIR)
        roots_add(r, xasprintf("%s/%s", namespaced_roots[i], e->d_name));
    closedir(d);
  }
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (geteuid() != 0 && xdg != NULL && *xdg != '\0')
    roots_add(r, xasprintf("%s/bottle", xdg));
}

/* A file only root (or we) could have written: not a symlink, regular, owned by root or the
 * caller, writable by nobody else. */
static char *read_trusted_file(const char *path)
{
  cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > DOCKER_CONFIG_MAX ||
      (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return NULL;
  return read_fd_all(fd, NULL);
}

/* The name dockerd gave container id, or NULL. */
static char *docker_name(const char *root, const char *id)
{
  struct container *c = NULL;
  bottle_error_t err = NULL;
  if (state_load(root, id, false, &c, &err) < 0) {
    berr_free(&err);
    return NULL;
  }
  char *name = NULL;
  const char *hostname_src = NULL;
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c->config, "mounts"))
  {
    if (strcmp(json_str(m, "destination", ""), "/etc/hostname") == 0)
      hostname_src = json_str(m, "source", NULL);
  }
  /* <data-root>/containers/<id>/hostname: the directory must carry this container's id. */
  const char *slash =
      hostname_src != NULL && c->owner == geteuid() ? strrchr(hostname_src, '/') : NULL;
  size_t idlen = strlen(id);
  if (slash != NULL && strcmp(slash, "/hostname") == 0 && (size_t)(slash - hostname_src) > idlen &&
      strncmp(slash - idlen, id, idlen) == 0 && slash[-(ptrdiff_t)idlen - 1] == '/') {
    cleanup_free char *path =
        xasprintf("%.*s/config.v2.json", (int)(slash - hostname_src), hostname_src);
    cleanup_free char *text = read_trusted_file(path);
    cleanup_cjson cJSON *j = text != NULL ? cJSON_Parse(text) : NULL;
    const char *n = json_str(j, "Name", "");
    if (strcmp(json_str(j, "ID", ""), id) == 0 && n[0] == '/' && n[1] != '\0')
      name = xstrdup(n + 1);
  }
  container_free(c);
  return name;
}

/* Every bottled container under the roots: those with a <root>/.bottle/<id> directory. */
static void list_bottled(const struct roots *r, struct found *all)
{
  for (size_t i = 0; i < r->n; i++) {
    cleanup_free char *dir = xasprintf("%s/" BOTTLED_DIR, r->v[i]);
    DIR *d = opendir(dir);
    if (d == NULL)
      continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.' || !state_valid_id(e->d_name))
        continue;
      all->v = realloc(all->v, (all->n + 1) * sizeof(*all->v));
      if (all->v == NULL)
        abort();
      all->v[all->n++] = (struct bottled_container){.root = r->v[i],
                                                    .id = xstrdup(e->d_name),
                                                    .docker_name = docker_name(r->v[i], e->d_name)};
    }
    closedir(d);
  }
}

static void found_free(struct found *f)
{
  for (size_t i = 0; i < f->n; i++) {
    free(f->v[i].id);
    free(f->v[i].docker_name);
  }
  free(f->v);
}

enum match { BY_ID, BY_NAME, BY_PREFIX };

static bool matches(const struct bottled_container *b, const char *q, enum match how)
{
  switch (how) {
  case BY_ID:
    return strcmp(b->id, q) == 0;
  case BY_NAME:
    return b->docker_name != NULL && strcmp(b->docker_name, q[0] == '/' ? q + 1 : q) == 0;
  default:
    return strncmp(b->id, q, strlen(q)) == 0;
  }
}

/* Docker's order: an exact id, then a name, then a unique id prefix. One line on failure. */
static const struct bottled_container *pick(const struct found *all, const struct roots *r,
                                            const char *q)
{
  for (enum match how = BY_ID; how <= BY_PREFIX; how++) {
    const struct bottled_container *hit = NULL;
    size_t n = 0;
    for (size_t i = 0; i < all->n; i++)
      if (matches(&all->v[i], q, how)) {
        hit = &all->v[i];
        n++;
      }
    if (n == 1)
      return hit;
    if (n > 1) {
      cleanup_free char *list = xstrdup("");
      for (size_t i = 0; i < all->n; i++)
        if (matches(&all->v[i], q, how)) {
          char *more =
              xasprintf("%s%s %s%s%s (%s)", list, *list ? "," : "", all->v[i].id,
                        all->v[i].docker_name ? " /" : "",
                        all->v[i].docker_name ? all->v[i].docker_name : "", all->v[i].root);
          free(list);
          list = more;
        }
      log_fatal("\"%s\" names %zu bottled containers:%s; give more of the id, or --root", q, n,
                list);
      return NULL;
    }
  }
  cleanup_free char *where = xstrdup("");
  for (size_t i = 0; i < r->n; i++) {
    char *more = xasprintf("%s%s%s", where, i ? ", " : "", r->v[i]);
    free(where);
    where = more;
  }
  log_fatal("no bottled container \"%s\" (by id, id prefix or Docker name) under %s%s%s", q, where,
            r->n == 1 ? "" : "; give --root for another state root",
            geteuid() == 0 ? "" : " (the engines' roots are readable by root only)");
  return NULL;
}

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
static void note_dead_sidecar(const struct globals *g, const char *id, const struct logs_opts *o)
{
  const char *sidecar = bottled_sidecar_status(g, id);
  if (sidecar != NULL && strcmp(sidecar, "stopped") == 0)
    fprintf(o->json ? stderr : stdout,
            "bottle: the sidecar is not running: the agent has no egress (recreate the "
            "container)\n");
}

/* Bypass telemetry beside pipelock's blocks: what the agent sent on its link that never reached
 * the proxy, from the bottle's counters (gone once it is deleted; root only). One line per kind
 * seen, or with --json one line with every count. */
static void print_bypass(const struct globals *g, const char *id, const struct logs_opts *o)
{
  struct container *c = NULL;
  bottle_error_t err = NULL;
  cleanup_cjson cJSON *counts = NULL;
  if (state_load(g->root, id, false, &c, &err) == 0) {
    counts = bypass_counts_json(c, &err);
    container_free(c);
  }
  if (counts == NULL)
    log_msg(LOG_DEBUG, "no bypass counts for %s: %s", id, err ? err->msg : "?");
  berr_free(&err);
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
static int print_log(const struct globals *g, const char *id, const struct logs_opts *o)
{
  cleanup_free char *path = bottled_log_path(g, id);
  cleanup_fclose FILE *f = fopen(path, "re");
  if (f == NULL) {
    log_fatal("container %s has no sidecar log (%s): %s", id, path, strerror(errno));
    return 1;
  }
  cleanup_free char *dir = xasprintf("%s/" BOTTLED_DIR "/%s", g->root, id);
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
      const char *s = bottled_sidecar_status(g, id);
      if (s != NULL && strcmp(s, "stopped") == 0) {
        note_dead_sidecar(g, id, o);
        noted = true;
      }
    }
    sleep_ms(FOLLOW_POLL_MS);
    idle_ms += FOLLOW_POLL_MS;
  }
  print_bypass(g, id, o);
  note_dead_sidecar(g, id, o);
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
  struct roots roots = {0};
  if (g->root != NULL)
    roots_add(&roots, xstrdup(g->root));
  else
    search_roots(&roots);
  struct found all = {0};
  list_bottled(&roots, &all);
  const struct bottled_container *b = pick(&all, &roots, query);
  int rc = 1;
  if (b != NULL) {
    struct globals at = *g;
    at.root = b->root;
    rc = print_log(&at, b->id, &o);
  }
  found_free(&all);
  roots_free(&roots);
  return rc;
}

/* Finding a bottled container the way a Docker user names it. Without --root every state root
 * an engine gives bottle is searched (runc-cli.md §2: Docker's <exec-root>/runtime-runc/moby,
 * containerd's <root>/<namespace> for the runc shim and for a runtime class with its own Root
 * (docs/engines.md), bottle's and podman's /run/bottle). A container is named by its id, a
 * unique id prefix or, for Docker and podman, its name.
 *
 * Docker does not tell the runtime a container's name. It is in dockerd's
 * <data-root>/containers/<id>/config.v2.json, and the bundle dockerd wrote says where that
 * directory is: the source of the /etc/hostname bind mount. podman does not either; its name is
 * in containers/storage's containers.json, in the directory above the bundle podman passed.
 * Only root-owned files with the right id, reached from a state record we wrote, are believed,
 * so nothing an agent or its image writes can name another container. */
#include "runtime/cli/find_bottled.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/bottle/bottled.h"
#include "runtime/container/state.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

/* Roots with one directory per containerd namespace below them. */
static const char *const namespaced_roots[] = {"/run/containerd/runc", "/run/containerd/bottle"};
static const char *const flat_roots[] = {"/run/bottle", "/run/docker/runtime-runc/moby"};
#define DOCKER_CONFIG_MAX (4 << 20)
#define PODMAN_CONTAINERS_MAX (16 << 20) /* containers.json: about 500 bytes a container */

struct roots {
  char **v;
  size_t n;
};

struct bottled_container {
  char *root, *id;
  char *name;       /* the engine's name for it, or NULL */
  bool docker_name; /* name is Docker's (shown and matched with or without its '/') */
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
static char *read_trusted_file(const char *path, off_t max)
{
  cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > max ||
      (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return NULL;
  return read_fd_all(fd, NULL);
}

/* The name dockerd gave container c, or NULL. */
static char *docker_name(const struct container *c)
{
  char *name = NULL;
  const char *hostname_src = NULL;
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c->config, "mounts"))
  {
    if (strcmp(json_str(m, "destination", ""), "/etc/hostname") == 0)
      hostname_src = json_str(m, "source", NULL);
  }
  /* <data-root>/containers/<id>/hostname; a container on another's network (--network
   * container:X) has X's, so only <data-root> is taken from it, and the file read is this
   * container's own <data-root>/containers/<id>/config.v2.json, believed when it says so. */
  const char *slash = hostname_src != NULL ? strrchr(hostname_src, '/') : NULL;
  const char *dir = slash;
  if (slash != NULL && strcmp(slash, "/hostname") == 0)
    while (dir > hostname_src && dir[-1] != '/')
      dir--; /* the start of <X's id> */
  static const char containers[] = "/containers/";
  size_t clen = sizeof(containers) - 1;
  if (dir != NULL && dir != slash && (size_t)(dir - hostname_src) > clen &&
      strncmp(dir - clen, containers, clen) == 0) {
    cleanup_free char *path =
        xasprintf("%.*s%s/config.v2.json", (int)(dir - hostname_src), hostname_src, c->id);
    cleanup_free char *text = read_trusted_file(path, DOCKER_CONFIG_MAX);
    cleanup_cjson cJSON *j = text != NULL ? cJSON_Parse(text) : NULL;
    const char *n = json_str(j, "Name", "");
    if (strcmp(json_str(j, "ID", ""), c->id) == 0 && n[0] == '/' && n[1] != '\0')
      name = xstrdup(n + 1);
  }
  return name;
}

/* Whether name is one podman accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]*). */
static bool podman_name_valid(const char *name)
{
  if (!isalnum((unsigned char)name[0]))
    return false;
  for (const char *p = name; *p != '\0'; p++)
    if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
      return false;
  return true;
}

/* The name podman gave container c, or NULL. podman's bundle is containers/storage's
 * <graphroot>/<driver>-containers/<id>/userdata, and the storage's containers.json beside the
 * <id> directories holds each container's names (podman's own first); later containers/storage
 * versions keep --rm containers in volatile-containers.json there. */
static char *podman_name(const struct container *c)
{
  static const char userdata[] = "/userdata", suffix[] = "-containers/";
  const char *b = c->bundle;
  size_t blen = b != NULL ? strlen(b) : 0, idlen = strlen(c->id);
  size_t ulen = sizeof(userdata) - 1, slen = sizeof(suffix) - 1;
  if (blen < ulen + idlen + slen + 1 || b[0] != '/' || strcmp(b + blen - ulen, userdata) != 0)
    return NULL;
  const char *id_at = b + blen - ulen - idlen;
  if (strncmp(id_at, c->id, idlen) != 0 || strncmp(id_at - slen, suffix, slen) != 0)
    return NULL;
  static const char *const files[] = {"containers.json", "volatile-containers.json"};
  for (size_t f = 0; f < sizeof(files) / sizeof(*files); f++) {
    cleanup_free char *path = xasprintf("%.*s%s", (int)(id_at - b), b, files[f]);
    cleanup_free char *text = read_trusted_file(path, PODMAN_CONTAINERS_MAX);
    cleanup_cjson cJSON *j = text != NULL ? cJSON_Parse(text) : NULL;
    const cJSON *list = cJSON_IsArray(j) ? j : NULL, *e;
    cJSON_ArrayForEach(e, list)
    {
      if (strcmp(json_str(e, "id", ""), c->id) != 0)
        continue;
      const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "names"), 0);
      const char *n = cJSON_GetStringValue(first);
      return n != NULL && podman_name_valid(n) ? xstrdup(n) : NULL;
    }
  }
  return NULL;
}

/* Container id's name and whether it is Docker's: only for a state record we (root) wrote, whose
 * config.json and bundle path are then the engine's. */
static char *engine_name(const char *root, const char *id, bool *docker)
{
  struct container *c = NULL;
  bottle_error_t err = {0};
  if (state_load(root, id, false, &c, &err) < 0) {
    berr_clear(&err);
    return NULL;
  }
  char *name = NULL;
  if (c->owner == geteuid()) {
    name = docker_name(c);
    *docker = name != NULL;
    if (name == NULL)
      name = podman_name(c);
  }
  container_free(c);
  return name;
}

static void found_add(struct found *all, char *root, const char *id)
{
  all->v = realloc(all->v, (all->n + 1) * sizeof(*all->v));
  if (all->v == NULL)
    abort();
  struct bottled_container *b = &all->v[all->n++];
  *b = (struct bottled_container){.root = root, .id = xstrdup(id)};
  b->name = engine_name(root, id, &b->docker_name);
}

/* Whether container id under root joined a bottle (a pod's app container, --network
 * container:X): its state names the bottle's creator. */
static bool is_member(const char *root, const char *id)
{
  struct container *c = NULL;
  bottle_error_t err = {0};
  if (state_load(root, id, false, &c, &err) < 0) {
    berr_clear(&err);
    return false;
  }
  bool member = c->bottle != NULL && *json_str(c->bottle, "pod", "") != '\0';
  container_free(c);
  return member;
}

/* Every bottled container under the roots: those with a <root>/.bottle/<id> directory (a
 * bottle's creator), and the members of those bottles. */
static void list_bottled(const struct roots *r, struct found *all)
{
  for (size_t i = 0; i < r->n; i++) {
    cleanup_free char *dir = xasprintf("%s/" BOTTLED_DIR, r->v[i]);
    DIR *d = opendir(dir);
    if (d == NULL)
      continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (e->d_name[0] != '.' && state_valid_id(e->d_name))
        found_add(all, r->v[i], e->d_name);
    closedir(d);
    d = opendir(r->v[i]);
    while (d != NULL && (e = readdir(d)) != NULL)
      if (e->d_name[0] != '.' && state_valid_id(e->d_name) && is_member(r->v[i], e->d_name))
        found_add(all, r->v[i], e->d_name);
    if (d != NULL)
      closedir(d);
  }
}

static void found_free(struct found *f)
{
  for (size_t i = 0; i < f->n; i++) {
    free(f->v[i].id);
    free(f->v[i].name);
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
    return b->name != NULL && strcmp(b->name, b->docker_name && q[0] == '/' ? q + 1 : q) == 0;
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
          const struct bottled_container *b = &all->v[i];
          char *more =
              xasprintf("%s%s %s%s%s%s (%s)", list, *list ? "," : "", b->id, b->name ? " " : "",
                        b->name && b->docker_name ? "/" : "", b->name ? b->name : "", b->root);
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
  log_fatal("no bottled container \"%s\" (by id, id prefix, Docker or podman name) under %s%s%s", q,
            where, r->n == 1 ? "" : "; give --root for another state root",
            geteuid() == 0 ? "" : " (the engines' roots are readable by root only)");
  return NULL;
}

int find_bottled(const char *root, const char *query, char **root_out, char **id_out)
{
  struct roots roots = {0};
  if (root != NULL)
    roots_add(&roots, xstrdup(root));
  else
    search_roots(&roots);
  struct found all = {0};
  list_bottled(&roots, &all);
  const struct bottled_container *b = pick(&all, &roots, query);
  if (b != NULL) {
    *root_out = xstrdup(b->root);
    *id_out = xstrdup(b->id);
  }
  found_free(&all);
  roots_free(&roots);
  return b != NULL ? 0 : -1;
}

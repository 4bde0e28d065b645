#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/container.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/container/state.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

static char *owner_name(uid_t uid)
{
  struct passwd *pw = getpwuid(uid);
  return pw ? xstrdup(pw->pw_name) : xasprintf("#%u", (unsigned)uid);
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One container's cells in runc's column order: ID PID STATUS BUNDLE CREATED OWNER. */
static void table_row(const cJSON *c, char pid[24], const char *cells[6])
{
  snprintf(pid, 24, "%lld", json_int(c, "pid", 0));
  cells[0] = json_str(c, "id", "");
  cells[1] = pid;
  cells[2] = json_str(c, "status", "");
  cells[3] = json_str(c, "bundle", "");
  cells[4] = json_str(c, "created", "");
  cells[5] = json_str(c, "owner", "");
}

int verb_list(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"quiet", optional_argument, NULL, 'q'},
                                       {NULL, 0, NULL, 0}};
  const char *format = "table";
  bool quiet = false;
  cli_normalize(argc, argv, opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
    if (ch == 'f')
      format = optarg;
    else if (ch == 'q')
      quiet = cli_bool(optarg);
    else
      return cli_usage_error("list", "flag provided but not defined");
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
    log_fatal("invalid format option");
    return 1;
  }
  char **names = NULL;
  size_t n = 0;
  DIR *d = opendir(g->ctx.base.state_root);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.' || e->d_type != DT_DIR)
        continue;
      names = realloc(names, (n + 1) * sizeof(char *));
      if (names == NULL)
        abort();
      names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
  }
  if (n > 0)
    qsort(names, n, sizeof(char *), cmp_str);
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    struct container *c = NULL;
    bottle_error_t err = {0};
    if (container_load(&g->ctx.base, names[i], false, &c, &err) < 0) {
      /* Docker shares this root with runc: skip what we cannot read. */
      log_msg(LOG_WARNING, "load container %s: %s", names[i], err.msg);
      continue;
    }
    char *owner = owner_name(c->owner);
    cJSON_AddItemToArray(arr, container_state_json(c, container_status(c), owner));
    free(owner);
    container_free(c);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);

  if (quiet) {
    const cJSON *c;
    cJSON_ArrayForEach(c, arr) printf("%s\n", json_str(c, "id", ""));
  } else if (strcmp(format, "json") == 0) {
    if (cJSON_GetArraySize(arr) == 0) {
      puts("null");
    } else {
      char *s = cJSON_PrintUnformatted(arr);
      printf("%s\n", s);
      free(s);
    }
  } else {
    /* Go tabwriter, minwidth 12, padding 3: every column as wide as its widest cell + 3. */
    const char *hdr[6] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
    size_t w[6];
    for (int k = 0; k < 6; k++)
      w[k] = strlen(hdr[k]);
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
      char pid[24];
      const char *cells[6];
      table_row(c, pid, cells);
      for (int k = 0; k < 6; k++)
        if (strlen(cells[k]) > w[k])
          w[k] = strlen(cells[k]);
    }
    for (int k = 0; k < 6; k++)
      w[k] = (w[k] + 3 < 12) ? 12 : w[k] + 3;
    for (int k = 0; k < 5; k++)
      printf("%-*s", (int)w[k], hdr[k]);
    printf("%s\n", hdr[5]);
    cJSON_ArrayForEach(c, arr)
    {
      char pid[24];
      const char *cells[6];
      table_row(c, pid, cells);
      for (int k = 0; k < 5; k++)
        printf("%-*s", (int)w[k], cells[k]);
      printf("%s\n", cells[5]);
    }
  }
  cJSON_Delete(arr);
  return 0;
}

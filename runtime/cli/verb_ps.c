#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container/container.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/container/state.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

static bool in_set(long pid, const pid_t *pids, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Runs the host `ps` with args, keeps the header and the container's lines. */
static int ps_table(char **args, int nargs, const pid_t *pids, size_t n, bottle_error_t *err)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return berr(err, errno, "pipe");
  char **argv = calloc((size_t)nargs + 3, sizeof(char *));
  int k = 0;
  argv[k++] = "ps";
  if (nargs == 0 || (nargs == 1 && args[0][0] == '\0'))
    argv[k++] = "-ef";
  else
    for (int i = 0; i < nargs; i++) {
      /* go-runc passes all options as one argument */
      char *copy = xstrdup(args[i]), *save = NULL;
      for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        argv = realloc(argv, ((size_t)k + (size_t)nargs + 3) * sizeof(char *));
        argv[k++] = t;
      }
    }
  argv[k] = NULL;
  pid_t child = fork();
  if (child == 0) {
    dup2(p[1], 1);
    signal(SIGPIPE, SIG_DFL);
    execvp("ps", argv);
    _exit(127);
  }
  close(p[1]);
  size_t len = 0;
  char *out = read_fd_all(p[0], &len);
  close(p[0]);
  int st = 0;
  waitpid(child, &st, 0);
  free(argv);
  if (out == NULL || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    free(out);
    return berr(err, 0, "ps failed");
  }
  char *save = NULL;
  char *line = strtok_r(out, "\n", &save);
  if (line == NULL) {
    free(out);
    return 0;
  }
  /* Find the PID column in the header. */
  int pid_col = -1, col = 0;
  {
    char *hcopy = xstrdup(line), *hs = NULL;
    for (char *t = strtok_r(hcopy, " \t", &hs); t; t = strtok_r(NULL, " \t", &hs), col++)
      if (strcmp(t, "PID") == 0 && pid_col < 0)
        pid_col = col;
    free(hcopy);
  }
  if (pid_col < 0) {
    free(out);
    return berr(err, 0, "couldn't find PID field in ps output");
  }
  printf("%s\n", line);
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    char *lcopy = xstrdup(line), *ls = NULL;
    char *t = strtok_r(lcopy, " \t", &ls);
    for (int i = 0; i < pid_col && t; i++)
      t = strtok_r(NULL, " \t", &ls);
    if (t && in_set(strtol(t, NULL, 10), pids, n))
      printf("%s\n", line);
    free(lcopy);
  }
  free(out);
  return 0;
}

int verb_ps(struct globals *g, int argc, char **argv)
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {NULL, 0, NULL, 0}};
  const char *format = "table";
  cli_normalize(argc, argv, opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
    if (ch == 'f')
      format = optarg;
    else
      return cli_usage_error("ps", "flag provided but not defined");
  }
  if (argc - optind < 1)
    return cli_usage_error("ps", "requires a minimum of 1 argument(s)");
  const char *id = argv[optind];
  bottle_error_t err = {0};
  struct container *c = NULL;
  if (container_load(&g->ctx.base, id, false, &c, &err) < 0)
    return verb_fail(&err, NULL, 1);
  pid_t *pids = NULL;
  size_t n = 0;
  enum status s = container_status(c);
  if (s != STATUS_STOPPED && c->cgroup != NULL && cgroup_pids(c->cgroup, &pids, &n, &err) < 0) {
    container_free(c);
    return verb_fail(&err, NULL, 1);
  }
  int rc = 0;
  if (strcmp(format, "json") == 0) {
    if (n == 0) {
      puts("null");
    } else {
      fputc('[', stdout);
      for (size_t i = 0; i < n; i++)
        printf(i ? ",%d" : "%d", (int)pids[i]);
      puts("]");
    }
  } else if (strcmp(format, "table") == 0) {
    if (ps_table(argv + optind + 1, argc - optind - 1, pids, n, &err) < 0)
      rc = verb_fail(&err, NULL, 1);
  } else {
    log_fatal("invalid format option");
    rc = 1;
  }
  free(pids);
  container_free(c);
  return rc;
}

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/container/spec.h"
#include "runtime/lib/util.h"
#include "runtime/cli/verbs.h"

int verb_spec(struct globals *g, int argc, char **argv)
{
  (void)g;
  static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                       {"rootless", optional_argument, NULL, 'R'},
                                       {NULL, 0, NULL, 0}};
  const char *bundle = ".";
  bool rootless = false;
  cli_normalize(argc, argv, opts);
  optind = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
    if (ch == 'b')
      bundle = optarg;
    else if (ch == 'R')
      rootless = cli_bool(optarg);
    else
      return cli_usage_error("spec", "flag provided but not defined");
  }
  bottle_error_t err = {0};
  char *path = xasprintf("%s/config.json", bundle);
  if (access(path, F_OK) == 0) {
    berr(&err, 0, "File %s exists. Remove it first", path);
    free(path);
    return verb_fail(&err, NULL, 1);
  }
  cJSON *j = spec_template(rootless);
  char *text = cJSON_Print(j);
  cJSON_Delete(j);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  int rc = 0;
  if (fd < 0 || write_all(fd, text, strlen(text)) < 0) {
    berr(&err, errno, "write %s", path);
    rc = verb_fail(&err, NULL, 1);
  }
  if (fd >= 0)
    close(fd);
  free(text);
  free(path);
  return rc;
}

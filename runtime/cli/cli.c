#include "runtime/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/log.h"

static const struct option *find_long(const struct option *opts, const char *name, size_t len)
{
  for (; opts->name != NULL; opts++)
    if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
      return opts;
  return NULL;
}

void cli_normalize(int argc, char **argv, const struct option *longopts)
{
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (strcmp(a, "--") == 0)
      return;
    if (a[0] != '-' || a[1] == '\0') /* first positional: stop (REQUIRE_ORDER) */
      return;
    if (a[1] == '-')
      goto skip_value;
    {
      const char *name = a + 1;
      size_t len = strcspn(name, "=");
      if (len < 2 || find_long(longopts, name, len) == NULL)
        goto skip_value;
      char *dd = malloc(strlen(a) + 2);
      if (dd == NULL)
        abort();
      dd[0] = '-';
      strcpy(dd + 1, a);
      argv[i] = dd; /* lives as long as argv */
    }
  skip_value:
    /* An option taking a separate value consumes the next word. */
    a = argv[i];
    if (a[1] == '-') {
      size_t len = strcspn(a + 2, "=");
      const struct option *o = find_long(longopts, a + 2, len);
      if (o != NULL && o->has_arg == required_argument && a[2 + len] == '\0')
        i++;
    } else if (a[2] == '\0') {
      for (const struct option *o = longopts; o->name != NULL; o++)
        if (o->val == a[1] && o->has_arg == required_argument) {
          i++;
          break;
        }
    }
  }
}

bool cli_bool(const char *v)
{
  if (v == NULL)
    return true;
  return !(strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "FALSE") == 0 ||
           strcmp(v, "False") == 0 || strcmp(v, "f") == 0 || strcmp(v, "F") == 0);
}

int cli_usage_error(const char *verb, const char *what)
{
  printf("Incorrect Usage.\n\nRun 'bottle %s --help' for usage.\n", verb);
  log_fatal("bottle: \"%s\" %s", verb, what);
  return 1;
}

const char *cli_one_id(int argc, char **argv, int optind_, const char *verb)
{
  if (argc - optind_ != 1) {
    cli_usage_error(verb, "requires exactly 1 argument(s)");
    return NULL;
  }
  return argv[optind_];
}

int cli_parse_duration_ms(const char *s, long *ms)
{
  char *end = NULL;
  double v = strtod(s, &end);
  if (end == s || v < 0)
    return -1;
  double mult = 1000;
  if (*end == '\0' || strcmp(end, "s") == 0)
    mult = 1000;
  else if (strcmp(end, "ms") == 0)
    mult = 1;
  else if (strcmp(end, "m") == 0)
    mult = 60000;
  else if (strcmp(end, "h") == 0)
    mult = 3600000;
  else
    return -1;
  *ms = (long)(v * mult);
  return 0;
}

bool cli_asks_help(int argc, char **argv, bool args_follow_positional)
{
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0 || (args_follow_positional && a[0] != '-'))
      return false;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-help") == 0)
      return true;
  }
  return false;
}

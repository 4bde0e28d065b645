/* Command-line handling shared by every verb: runc's liberal grammar (§3):
 * --x v, --x=v, -x v, -x=v, booleans as --b, --b=true|false, and parsing that
 * stops at the first positional (getopt_long "+"). */
#ifndef BOTTLE_CLI_H
#define BOTTLE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include "runtime/bottle/context.h"

/* runc's global flags as main parses them: the log's, which main alone uses, and the context
 * every verb hands to the library. */
struct globals {
  const char *log;
  const char *log_format;
  bool debug;
  struct bottle_context ctx;
};

/* Rewrites single-dash long options ("-pid-file", "-no-subreaper=true") into
 * their double-dash forms, in place, for the options in longopts, up to the
 * first positional argument. */
void cli_normalize(int argc, char **argv, const struct option *longopts);
/* Value of a boolean flag given as --b or --b=V. */
bool cli_bool(const char *optarg);
/* runc's "Incorrect Usage." error for an argument count mismatch; returns 1. */
int cli_usage_error(const char *verb, const char *what);
/* Exactly one positional (the container id) at argv[optind]; NULL on error (reported). */
const char *cli_one_id(int argc, char **argv, int optind_, const char *verb);
/* Parses a duration like "5s", "100ms", "2m" or a plain number of seconds. */
int cli_parse_duration_ms(const char *s, long *ms);
/* Whether a verb's arguments (argv[0] is the verb) ask for its help: -h, --help or -help before
 * "--", and, when args_follow_positional (exec's command, ps's ps options), before the first
 * positional too, since what follows it belongs to another program. */
bool cli_asks_help(int argc, char **argv, bool args_follow_positional);

#endif

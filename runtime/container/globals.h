/* The runtime's global options (runc's --root, --log, --systemd-cgroup, ...), parsed by the CLI
 * and handed to the container library and the bottle: create reads the state root and the cgroup
 * driver from them. Defined here, below both users, so that neither includes the CLI; issue 10's
 * library context is to take their place. */
#ifndef BOTTLE_GLOBALS_H
#define BOTTLE_GLOBALS_H

#include <stdbool.h>

struct bottled_overrides;

struct globals {
  const char *root; /* absolute */
  const char *log;
  const char *log_format;
  bool debug;
  bool systemd_cgroup;
  const char *progname;    /* "bottle" */
  const char *config_path; /* --config: bottle's runtime config (config/), NULL = default */
  /* bottle-run's policy overrides and plan (runtime/bottle/bottled.h); NULL for the runc verbs */
  const struct bottled_overrides *bottled;
};

#endif

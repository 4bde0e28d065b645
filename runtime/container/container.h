/* The container lifecycle as the verbs see it: create (clone the init and
 * drive it to the exec.fifo wait), start, signal, destroy. */
#ifndef BOTTLE_CONTAINER_H
#define BOTTLE_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

/* What the container library is told by whoever drives it, in place of the command line's flags
 * (crun's libcrun_context_t is the model): where containers keep their state and how their
 * cgroups are named. The CLI fills one from runc's global flags; a bottle makes one for its
 * sidecar, whose state lives inside the bottle. */
struct container_context {
  const char *state_root; /* absolute: container <id> keeps its state in <state_root>/<id>/ */
  bool systemd_cgroup;    /* cgroupsPath is systemd's "slice:prefix:name" (--systemd-cgroup) */
};

enum status { STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED, STATUS_STOPPED };

struct cgroup;

/* A container as the library knows it: made by container_create, loaded by state_load
 * (runtime/container/state.h), which keeps it under the state root between verbs. */
struct container {
  char *id;
  char *dir;                     /* <root>/<id> */
  int dirfd;                     /* O_DIRECTORY, carries the flock when locked */
  pid_t pid;                     /* host pid of the init */
  unsigned long long start_time; /* /proc/<pid>/stat field 22 */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  cJSON *config; /* the config.json it was created from (resources kept merged) */
  struct cgroup *cgroup;
  bool private_pidns; /* a new pid namespace (not joined by path) */
  uid_t owner;
  bool egress_hardening; /* exec'd processes get the egress seccomp hardening too */
  cJSON *bottle; /* bottled containers (runtime/bottle/bottled.c): their record; NULL if plain */
};

void container_free(struct container *c);
enum status container_status(const struct container *c);
const char *status_name(enum status s);
/* The OCI state object as runc prints it. */
cJSON *container_state_json(const struct container *c, enum status s, const char *owner);
/* The init is alive and still the same process. */
bool container_init_alive(const struct container *c);

struct create_opts {
  const char *id;
  const char *bundle;         /* absolute; create has chdir'ed into it */
  const char *pid_file;       /* absolute or NULL */
  const char *console_socket; /* or NULL */
  const char *pidfd_socket;   /* absolute or NULL: the init's pidfd is sent there */
  bool has_console_peer;      /* foreground run with a terminal: console_peer is a */
  int console_peer;           /* connected socket used instead of console_socket */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  cJSON *config;         /* optional: a loaded config used instead of <bundle>/config.json;
                            container_create takes ownership (frees it or keeps it in *out) */
  bool egress_hardening; /* add seccomp_add_egress_hardening() to the init and to every exec */
  bool die_with_caller;  /* bottle-run: SIGKILL the init when this runtime process dies (never
                            for create, whose caller's subreaper owns the init, §6.2) */
  const int *stdio;      /* NULL: the init inherits the runtime's fds 0-2; else the three fds
                            (above 2) it gets as 0, 1 and 2 instead, the runtime's own untouched */
};

/* On success the container is `created`, its state saved and locked in *out. */
int container_create(const struct container_context *ctx, const struct create_opts *o,
                     struct container **out, bottle_error_t *err);
/* Loads container id from ctx's state root; lock takes its exclusive flock first. A container
 * that does not exist gives "container does not exist" (errnum ENOENT). */
int container_load(const struct container_context *ctx, const char *id, bool lock,
                   struct container **out, bottle_error_t *err);
/* A check that may refuse a start: called after the state checks, before the init is released.
 * The bottle's start gate (runtime/bottle/start_gate.h) is one; it lives above this library,
 * so each caller passes it rather than the library calling up into the bottle. */
typedef int (*container_gate_fn)(const struct container *c, bottle_error_t *err);
/* created -> running: gate (NULL: none) may refuse, then the init is released from exec.fifo
 * and the poststart hooks run. */
int container_start(struct container *c, container_gate_fn gate, bottle_error_t *err);
/* Signals the init (all=false) or every process of the container. */
int container_kill(struct container *c, int sig, bool all, bottle_error_t *err);
/* delete: kill what is left when asked, cgroups, state dir, poststop hooks. */
int container_destroy(struct container *c, bottle_error_t *err);
/* Writes the pid file atomically, without a newline (§6.1). */
int write_pid_file(const char *path, pid_t pid, bottle_error_t *err);
/* Signal by number or name ("9", "KILL", "SIGKILL", "sigkill"); -1 if unknown. */
int parse_signal(const char *s);

#endif

/* The child side of create: what runs in the freshly cloned container init,
 * from the sync handshake to execve (§9.9 steps 4 and 6). */
#ifndef BOTTLE_INIT_H
#define BOTTLE_INIT_H

#include <stdbool.h>
#include <cJSON.h>

struct seccomp_filter;

struct init_ctx {
  const char *id;
  const char *bundle;
  const char *rootfs; /* absolute host path */
  const cJSON *config;
  struct seccomp_filter *seccomp;
  int sync_fd;    /* SOCK_SEQPACKET to the parent */
  int fifo_fd;    /* O_PATH of <state>/exec.fifo */
  int console_fd; /* connected console socket or -1 */
  bool new_userns, new_cgroupns, new_netns;
  bool joined_userns; /* entered by path: its mappings apply, none are written */
  bool no_pivot, no_new_keyring;
  bool die_with_caller; /* PR_SET_PDEATHSIG SIGKILL tied to the runtime process */
  int first_closed_fd;  /* 3 + LISTEN_FDS + --preserve-fds */
  /* A pid namespace joined by path, entered only after pivot_root (-1: not so):
   * init_main then builds the rootfs outside it, proc mounts bound to it with
   * pidns=, and exits; init_late_main runs the container process, born in it
   * with the container's root (issue 9, item 1). */
  int late_pidns_fd;
  int stdio[3]; /* fds above 2 to become 0, 1, 2 (-1 each: keep the inherited ones) */
};

_Noreturn void init_main(struct init_ctx *ctx);
/* The container process after a late pid namespace join (a joiner's run:
 * arg is the struct init_ctx). */
void init_late_main(void *arg);

#endif

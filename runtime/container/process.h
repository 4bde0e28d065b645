/* Turning the current process into the container process described by an
 * OCI `process` object; shared by the container init and exec (§6, §9.9 step
 * 6). Runs in the container's namespaces, after pivot_root/setns(mnt). */
#ifndef BOTTLE_PROCESS_H
#define BOTTLE_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

struct seccomp_filter;

struct process_setup {
  const cJSON *process;           /* the OCI process object */
  struct seccomp_filter *seccomp; /* the container's filter, may be NULL */
  int first_closed_fd;            /* 3 + LISTEN_FDS + --preserve-fds */
  /* filled by process_finalize: */
  char **envp;
  char *exec_path;
};

/* process.rlimits through setrlimit. */
int process_set_rlimits(const cJSON *process, bottle_error_t *err);
/* process.oomScoreAdj, if set, into /proc/<pid>/oom_score_adj (from the runtime, before GO). */
int process_set_oom_score(pid_t pid, const cJSON *process, bottle_error_t *err);
/* Everything between the namespaces and the last step, in runc's order
 * except that chdir(cwd) and the PATH lookup of args[0] (the §5.4 error
 * texts, answered for the container user from the mode bits) come before the
 * seccomp filter, as in crun: LSM exec label, NNP, chdir(cwd), HOME, lookup,
 * seccomp when !NNP, bounding set, KEEPCAPS, stdio ownership,
 * groups/gid/uid, capabilities, umask, cwd checked to be inside the root. */
int process_finalize(struct process_setup *p, bottle_error_t *err);
/* Last steps and execve: seccomp when NNP, signals reset, fds >= first_closed
 * made CLOEXEC. Returns only on failure (err set). */
int process_exec(struct process_setup *p, bottle_error_t *err);

/* The LISTEN_FDS count from our environment (0 when unset). */
int process_listen_fds(void);
/* --preserve-fds N: fds 3+LISTEN_FDS .. +N-1 must be open (runc checks too). */
int process_check_preserved_fds(int preserve_fds, bottle_error_t *err);
/* For a bottled container, whose only way out is its proxy: refuses an inherited socket
 * (LISTEN_FDS, then --preserve-fds N) unless it lives in the network namespace at netns
 * (NULL: none does) and is not AF_UNIX. Pipes, files and ttys pass. */
int process_check_inherited_sockets(int preserve_fds, const char *netns, bottle_error_t *err);
/* Resets every signal to SIG_DFL and unblocks all. */
void process_reset_signals(void);

#endif

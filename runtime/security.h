/* What the container process may do: capabilities (libcap), seccomp
 * (libseccomp), no_new_privs, AppArmor/SELinux labels. Owned by
 * runtime/caps.c, runtime/seccomp.c, runtime/lsm.c.
 *
 * Order in the container init (same as runc):
 *   seccomp_compile()          early, while the init may still allocate freely
 *   caps_drop_bounding()       before changing uid
 *   setgroups/setresgid/setresuid with PR_SET_KEEPCAPS (runtime/process.c)
 *   caps_apply()               effective/permitted/inheritable/ambient
 *   lsm_set_exec_label()       AppArmor profile / SELinux label for the execve
 *   prctl(PR_SET_NO_NEW_PRIVS) when process.noNewPrivileges
 *   seccomp_load()             last thing before execve (needs NNP or CAP_SYS_ADMIN) */
#ifndef BOTTLE_SECURITY_H
#define BOTTLE_SECURITY_H

#include <stdbool.h>
#include <cJSON.h>
#include "runtime/error.h"

/* process.capabilities: {"bounding":[...],"effective":[...],...}; NULL means all dropped. */
int caps_drop_bounding(const cJSON *capabilities, bottle_error_t *err);
int caps_apply(const cJSON *capabilities, bottle_error_t *err);
/* Validates names ("CAP_NET_ADMIN"); unknown names fail with the name in the message. */
int caps_validate(const cJSON *capabilities, bottle_error_t *err);

struct seccomp_filter; /* opaque compiled filter */
/* linux.seccomp (OCI LinuxSeccomp: defaultAction, defaultErrnoRet, architectures, flags,
 * syscalls[] with names/action/errnoRet/args). NULL object → *out = NULL (no filter). */
int seccomp_compile(const cJSON *seccomp, struct seccomp_filter **out, bottle_error_t *err);
int seccomp_load(struct seccomp_filter *f, bottle_error_t *err);
void seccomp_filter_free(struct seccomp_filter *f);

/* process.apparmorProfile / process.selinuxLabel: applied when the host supports them and
 * ignored exactly as runc ignores them otherwise. */
int lsm_set_exec_label(const cJSON *process, bottle_error_t *err);
/* linux.mountLabel for tmpfs/devpts mount data; NULL when SELinux is off. */
const char *lsm_mount_label(const cJSON *linux);

#endif

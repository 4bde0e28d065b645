/* What the container process may do: capabilities (libcap), seccomp
 * (libseccomp), no_new_privs, AppArmor/SELinux labels. Owned by
 * runtime/security/caps.c, runtime/seccomp*.c, runtime/security/lsm.c.
 *
 * Order in the container init (runc 1.1.5 standard_init_linux.go):
 *   seccomp_compile()          early, while the init may still allocate freely; also
 *                              seccomp_add_egress_hardening() for bottled containers
 *   lsm_set_exec_label()       AppArmor profile / SELinux label, both change-on-exec
 *   prctl(PR_SET_NO_NEW_PRIVS) when process.noNewPrivileges
 *   seccomp_filter_load()      HERE when noNewPrivileges is false: without NNP, loading a
 *                              filter needs CAP_SYS_ADMIN, which the init still has. Every
 *                              syscall the init makes afterwards (prctl, setgroups,
 *                              setresgid/uid, capset, open of exec.fifo, read, close,
 *                              execve) must pass the filter; Docker's profile allows them.
 *   caps_drop_bounding()       before changing uid (needs CAP_SETPCAP)
 *   prctl(PR_SET_KEEPCAPS, 1); setgroups/setresgid/setresuid; prctl(PR_SET_KEEPCAPS, 0)
 *                              (runtime/container/process.c)
 *   caps_apply()               effective/permitted/inheritable, then ambient
 *   seccomp_filter_load()      HERE when noNewPrivileges is true: as close to execve as
 *                              possible, so the filter sees the fewest init syscalls.
 *   execve
 * seccomp_filter_load() is called exactly once, at one of the two places. */
#ifndef BOTTLE_SECURITY_H
#define BOTTLE_SECURITY_H

#include <stdbool.h>
#include <cJSON.h>
#include "runtime/lib/error.h"

/* process.capabilities: {"bounding":[...],"effective":[...],...}; NULL means all dropped.
 * An absent set is empty. Like runc 1.1.5, names that are unknown (CAP_BOGUS) or that the
 * running kernel does not know (newer than /proc/sys/kernel/cap_last_cap) are skipped with
 * one warning, "ignoring unknown or unavailable capabilities: [...]" (caps_apply logs it),
 * and an ambient capability the kernel refuses to raise is skipped too. */
int caps_drop_bounding(const cJSON *capabilities, bottle_error_t *err);
int caps_apply(const cJSON *capabilities, bottle_error_t *err);

struct seccomp_filter; /* opaque compiled filter */
/* linux.seccomp (OCI LinuxSeccomp: defaultAction, defaultErrnoRet, architectures, flags,
 * syscalls[] with names/action/errnoRet/args). NULL object → *out = NULL (no filter).
 * Unknown syscall names are skipped (debug note); SCMP_ACT_NOTIFY and listenerPath are
 * refused. When the default action is not ALLOW/LOG, syscalls newer than every syscall the
 * profile names get ENOSYS instead of the default action (runc's ENOSYS stub), so libc
 * falls back. The BPF is generated here; seccomp_filter_load() is then a single syscall. */
int seccomp_compile(const cJSON *seccomp, struct seccomp_filter **out, bottle_error_t *err);
/* seccomp_compile() through a cache of compiled programs (libseccomp takes ~10 ms for Docker's
 * profile): cache_dir is created 0700 if missing, e.g. "<root>/seccomp-cache"; NULL means no
 * cache. A hit needs the whole profile text (plus bottle, libseccomp and kernel versions) to
 * match byte for byte, not just the file name's hash. Cache trouble only costs time. */
int seccomp_compile_cached(const cJSON *seccomp, const char *cache_dir, struct seccomp_filter **out,
                           bottle_error_t *err);
/* Extra denials for bottled agents (threats.md rows 7, 12-17, 33), installed as a second
 * filter on top of the spec's (the kernel applies the stricter verdict of the two):
 *   socket() families other than AF_UNIX, AF_INET, AF_INET6 → EAFNOSUPPORT, and
 *     AF_NETLINK only with protocol NETLINK_ROUTE (else EAFNOSUPPORT); raw IP sockets
 *     (SOCK_RAW, SOCK_PACKET) → EPERM even with CAP_NET_RAW;
 *   io_uring_setup/enter/register, setns → EPERM;
 *   unshare and clone with CLONE_NEWUSER or CLONE_NEWNET → EPERM; clone3 → ENOSYS (its
 *     flags live in memory seccomp cannot read; libc falls back to clone);
 *   ptrace, process_vm_readv/writev, pidfd_getfd → EPERM;
 *   any syscall from a foreign ABI (x86 int 0x80, x32) → process killed.
 * *f may be NULL (the spec has no linux.seccomp): a filter is created that allows
 * everything else. */
int seccomp_add_egress_hardening(struct seccomp_filter **f, bottle_error_t *err);
/* Installs the filter(s) in the calling thread. NULL f → no-op. Needs no_new_privs or
 * CAP_SYS_ADMIN (see the order above). */
int seccomp_filter_load(struct seccomp_filter *f, bottle_error_t *err);
void seccomp_filter_free(struct seccomp_filter *f);

/* process.apparmorProfile / process.selinuxLabel, change-on-exec. As runc 1.1.5 (observed on
 * a host without either LSM): a non-empty apparmorProfile is always written, so without
 * AppArmor it fails with "apparmor failed to apply profile: write /proc/self/attr/exec: ...";
 * a non-empty selinuxLabel without SELinux fails with "selinux label is specified in config,
 * but selinux is disabled or not supported". Empty or absent labels do nothing. */
int lsm_set_exec_label(const cJSON *process, bottle_error_t *err);
/* linux.mountLabel for tmpfs/devpts mount data (context="..."); NULL when SELinux is off
 * (runc would pass it on and the mount would fail with EINVAL). */
const char *lsm_mount_label(const cJSON *linux);

#endif

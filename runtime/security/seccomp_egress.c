/* The bottle's own seccomp layer for agents: a second, allow-by-default
 * filter that closes the kernel paths around the proxy (threats.md rows 7,
 * 12-17, 33) whatever the spec's profile allows. It is a separate program
 * because libseccomp cannot narrow an unconditional allow in the same
 * filter, while the kernel applies the strictest verdict of all filters. Denials say EPERM, which
 * the kernel itself never gives the calls below to a process that holds their capability (it
 * says ENOSYS when built without them, EBADF or EINVAL for a bad argument). */
#include "runtime/security/seccomp_internal.h"

#include <errno.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <sys/socket.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif

/* Families an agent behind an HTTP proxy needs: local sockets, TCP/UDP to the proxy, and
 * rtnetlink for getaddrinfo/if_nameindex. */
static const int allowed_families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
#define HIGHEST_ALLOWED_FAMILY AF_NETLINK
#define NETLINK_ROUTE_PROTOCOL 0
/* The socket type without SOCK_NONBLOCK/SOCK_CLOEXEC (the kernel's SOCK_TYPE_MASK). */
#define SOCK_TYPE_MASK 0xf

static int add(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
               const struct scmp_arg_cmp *cmp, bottle_error_t *err)
{
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR)
    return 0; /* this libseccomp does not know it, so neither can the filter name it */
  int rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
  if (rc < 0)
    return berr(err, -rc, "seccomp egress hardening: rule for %s", name);
  return 0;
}

static bool family_allowed(int family)
{
  for (size_t i = 0; i < sizeof(allowed_families) / sizeof(allowed_families[0]); i++)
    if (allowed_families[i] == family)
      return true;
  return false;
}

static int deny_socket_families(scmp_filter_ctx ctx, bottle_error_t *err)
{
  const uint32_t refuse = SCMP_ACT_ERRNO(EAFNOSUPPORT);
  /* Compared as 64-bit values: junk in the upper half of the register (the kernel truncates
   * to int) makes the value larger, so it is refused too. */
  struct scmp_arg_cmp above = SCMP_A0_64(SCMP_CMP_GT, HIGHEST_ALLOWED_FAMILY);
  if (add(ctx, refuse, "socket", 1, &above, err) < 0)
    return -1;
  for (int family = 0; family < HIGHEST_ALLOWED_FAMILY; family++) {
    if (family_allowed(family))
      continue;
    struct scmp_arg_cmp eq = SCMP_A0_64(SCMP_CMP_EQ, (scmp_datum_t)family);
    if (add(ctx, refuse, "socket", 1, &eq, err) < 0)
      return -1;
  }
  /* Raw IP sockets (crafted or spoofed packets toward the sidecar veth) even when the spec
   * grants CAP_NET_RAW, as Docker does by default; EPERM is what the kernel says without
   * the capability. Ping keeps working through ICMP datagram sockets. */
  const int ip_families[] = {AF_INET, AF_INET6};
  const int raw_types[] = {SOCK_RAW, SOCK_PACKET};
  for (size_t f = 0; f < 2; f++) {
    for (size_t t = 0; t < 2; t++) {
      struct scmp_arg_cmp raw[2] = {
          SCMP_A0_64(SCMP_CMP_EQ, (scmp_datum_t)ip_families[f]),
          SCMP_A1_64(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, (scmp_datum_t)raw_types[t])};
      if (add(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 2, raw, err) < 0)
        return -1;
    }
  }
  /* Netlink only for rtnetlink (NETLINK_ROUTE): no netfilter, audit, uevents, xfrm... */
  struct scmp_arg_cmp netlink_other[2] = {SCMP_A0_64(SCMP_CMP_EQ, AF_NETLINK),
                                          SCMP_A2_64(SCMP_CMP_NE, NETLINK_ROUTE_PROTOCOL)};
  return add(ctx, refuse, "socket", 2, netlink_other, err);
}

static int deny_new_namespaces(scmp_filter_ctx ctx, bottle_error_t *err)
{
  const uint32_t refuse = SCMP_ACT_ERRNO(EPERM);
  /* s390 passes clone's flags second. */
  unsigned clone_flags_arg =
      (seccomp_arch_native() == SCMP_ARCH_S390X || seccomp_arch_native() == SCMP_ARCH_S390) ? 1 : 0;
  const scmp_datum_t flags[] = {CLONE_NEWUSER, CLONE_NEWNET};
  for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
    struct scmp_arg_cmp on_unshare = SCMP_A0_64(SCMP_CMP_MASKED_EQ, flags[i], flags[i]);
    struct scmp_arg_cmp on_clone = {clone_flags_arg, SCMP_CMP_MASKED_EQ, flags[i], flags[i]};
    if (add(ctx, refuse, "unshare", 1, &on_unshare, err) < 0 ||
        add(ctx, refuse, "clone", 1, &on_clone, err) < 0)
      return -1;
  }
  /* clone3 takes its flags in a struct seccomp cannot read: ENOSYS makes libc fall back to
   * clone, which is filtered above (Docker's profile does the same). */
  if (add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err) < 0)
    return -1;
  return add(ctx, refuse, "setns", 0, NULL, err);
}

static const char *const denied_outright[] = {
    /* io_uring can open and connect sockets without the socket()/connect() syscalls. */
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    /* Reading another process's memory or fds (the sidecar's, a runtime helper's). */
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    /* Code into the host's kernel, or a new kernel: whatever capabilities bottle.json's
     * agent.allow_capabilities lets the agent keep, these stay closed (docs/security.md). */
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "bpf",
    /* Any host file by handle, around the agent's mounts (the "shocker" escape). */
    "open_by_handle_at",
    /* The host's I/O ports. */
    "iopl", "ioperm"};

int seccomp_add_egress_hardening(struct seccomp_filter **f, bottle_error_t *err)
{
  __attribute__((cleanup(seccomp_ctx_cleanup))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL)
    return berr(err, ENOMEM, "seccomp egress hardening");
  /* Only the native ABI: int 0x80 and x32 syscalls would bypass every rule written for
   * native numbers, so they kill the process. */
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc == -EINVAL) /* libseccomp judged the kernel too old for it (< 4.14) */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_THREAD);
  if (rc < 0)
    return berr(err, -rc, "seccomp egress hardening: bad-architecture action");
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

  if (deny_socket_families(ctx, err) < 0 || deny_new_namespaces(ctx, err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof(denied_outright) / sizeof(denied_outright[0]); i++)
    if (add(ctx, SCMP_ACT_ERRNO(EPERM), denied_outright[i], 0, NULL, err) < 0)
      return -1;

  struct seccomp_program prog = {0};
  if (seccomp_export(ctx, NULL, 0, &prog, err) < 0)
    return berr_wrap(err, "seccomp egress hardening");
  if (seccomp_filter_append(f, &prog, err) < 0) {
    free(prog.insns);
    return -1;
  }
  return 0;
}

/* Shared between runtime/security/seccomp.c (OCI → BPF), seccomp_cache.c and seccomp_egress.c;
 * not for other modules. */
#ifndef BOTTLE_SECCOMP_INTERNAL_H
#define BOTTLE_SECCOMP_INTERNAL_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/security/security.h"

struct seccomp_program {
  struct sock_filter *insns;
  size_t len;
  unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* The spec's filter first, then the egress hardening; the kernel runs all of them and the
 * strictest verdict wins. */
#define SECCOMP_MAX_PROGRAMS 4
struct seccomp_filter {
  struct seccomp_program progs[SECCOMP_MAX_PROGRAMS];
  size_t count;
};

void seccomp_ctx_cleanup(scmp_filter_ctx *ctx);
/* "SCMP_ARCH_X86_64" → SCMP_ARCH_X86_64; -1 when unknown. */
int seccomp_arch_token(const char *oci_name, uint32_t *token);
/* Generates ctx's BPF after prefix (may be NULL) into prog->insns (malloc'd). */
int seccomp_export(scmp_filter_ctx ctx, const struct sock_filter *prefix, size_t prefix_len,
                   struct seccomp_program *prog, bottle_error_t *err);
/* Moves prog into *f (created when NULL). */
int seccomp_filter_append(struct seccomp_filter **f, struct seccomp_program *prog,
                          bottle_error_t *err);

#endif

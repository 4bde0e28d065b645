/* Shared libraries loaded on first use instead of at exec (see
 * nftables_lazy.c, libnl_lazy.c): bottle re-execs itself from a sealed memfd
 * for every create/run/exec, so each library linked in is mapped and
 * initialised twice per run even when only bottled networking uses it. */
#ifndef BOTTLE_LAZYLIB_H
#define BOTTLE_LAZYLIB_H

#include <stdbool.h>

struct lazylib {
  const char *soname;
  void *handle;
  bool failed; /* dlopen failed once: logged, not retried */
};

/* The library's `name`, loading it by soname on first use; NULL (logged) if
 * the library or the symbol is missing. Only call from the runtime process in
 * the host's mount namespace: the soname is resolved in the current root. */
void *lazylib_symbol(struct lazylib *lib, const char *name);

/* Defines `ret name params` forwarding `args` to the library's own `name`
 * (prototype checked against the library's header through __typeof__), or
 * returning `fail` when it cannot be loaded. */
#define LAZYLIB_FN(lib, ret, fail, name, params, args)                                             \
  ret name params                                                                                  \
  {                                                                                                \
    static __typeof__(name) *fn_;                                                                  \
    if (fn_ == NULL)                                                                               \
      fn_ = (__typeof__(name) *)lazylib_symbol(&(lib), #name);                                     \
    return fn_ ? fn_ args : (fail);                                                                \
  }
#define LAZYLIB_VOID(lib, name, params, args)                                                      \
  void name params                                                                                 \
  {                                                                                                \
    static __typeof__(name) *fn_;                                                                  \
    if (fn_ == NULL)                                                                               \
      fn_ = (__typeof__(name) *)lazylib_symbol(&(lib), #name);                                     \
    if (fn_)                                                                                       \
      fn_ args;                                                                                    \
  }

#endif

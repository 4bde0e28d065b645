/* CVE-2019-5736: a process inside the container must never be able to write
 * the runtime binary through /proc/<pid>/exe. Verbs that enter container
 * namespaces (create, run, exec) first re-exec bottle from a sealed memfd
 * copy, so /proc/<pid>/exe of any bottle process a container can see points
 * at an immutable anonymous file, never at the installed binary. */
#ifndef BOTTLE_SELFEXE_H
#define BOTTLE_SELFEXE_H

/* Returns when already running from a sealed copy (or when sealing is
 * impossible, which is logged); otherwise re-execs and does not return. */
void selfexe_ensure_sealed(char **argv);

#endif

/* The runtime <-> container-process handshake over a SOCK_SEQPACKET
 * socketpair: one message per step, errors carried as text so the parent can
 * log the child's root cause (§5.2). */
#ifndef BOTTLE_SYNC_H
#define BOTTLE_SYNC_H

enum sync_type {
  SYNC_EOF = 0,     /* the peer closed (or exec'd: the socket is CLOEXEC) */
  SYNC_GO = 1,      /* parent -> child: continue */
  SYNC_MOUNTS_DONE, /* child -> parent: run prestart/createRuntime hooks now */
  SYNC_READY,       /* child -> parent: blocked on exec.fifo next */
  SYNC_ERROR,       /* child -> parent: text is the error */
};

int sync_send(int fd, enum sync_type t, const char *text);
/* *text (malloc'd, may be NULL) receives the payload. Returns -1 on I/O error. */
int sync_recv(int fd, enum sync_type *t, char **text);

#endif

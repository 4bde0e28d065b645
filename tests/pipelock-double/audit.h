/* Audit log: one JSON object per line on stdout, shaped like pipelock's
 * (pipelock.md §3.6). Every string is sanitised and length-capped so a hostile
 * host name cannot forge lines or escape sequences (threats.md #45). */
#ifndef PIPELOCK_DOUBLE_AUDIT_H
#define PIPELOCK_DOUBLE_AUDIT_H

#include <stddef.h>

#define AUDIT_VALUE_CAP 500

struct audit_line {
  char buf[4096];
  size_t len;
};

void audit_begin(struct audit_line *l, const char *level, const char *event);
void audit_str(struct audit_line *l, const char *key, const char *value);
void audit_num(struct audit_line *l, const char *key, long long value);
void audit_bool(struct audit_line *l, const char *key, int value);
/* Adds "message" and writes the line with a single write(2). */
void audit_emit(struct audit_line *l, const char *message);

/* Copies src into dst keeping printable ASCII only (others become '?'), capped
 * at cap bytes with "..." marking a cut. Used for hosts echoed anywhere. */
void sanitize_text(const char *src, char *dst, size_t dstlen, size_t cap);

#endif

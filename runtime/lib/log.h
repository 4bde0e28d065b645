/* The runtime's own log: runc's --log/--log-format contract (§5.1). Every
 * line is written with one write(2) to an O_APPEND file, because several
 * runtime invocations share <bundle>/log.json. */
#ifndef BOTTLE_LOG_H
#define BOTTLE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERROR };

/* path NULL means stderr; format is "text" or "json". Fails on a bad format. */
int log_init(const char *path, const char *format, bool debug);
/* For a command people type (bottle-run): every message goes to stderr as one plain line,
 * "progname: msg" ("progname: warning: msg"), debug messages are dropped. */
void log_init_plain(const char *progname);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The fatal error of a verb: to the log and, when the log is a file, also as a
 * plain line on stderr (what runc does). */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

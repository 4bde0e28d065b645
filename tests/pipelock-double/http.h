/* The little HTTP/1.1 the double speaks: reading a request head, writing
 * text/plain errors the way Go's http.Error does, and splitting targets. */
#ifndef PIPELOCK_DOUBLE_HTTP_H
#define PIPELOCK_DOUBLE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HTTP_MAX_HEAD 32768
#define HTTP_MAX_HEADERS 100

struct http_header {
  char *name, *value;
};

struct http_request {
  char head[HTTP_MAX_HEAD + 1];
  size_t head_len; /* bytes of head[] that belong to the head */
  char *extra;     /* bytes read past the head (body or early tunnel data) */
  size_t extra_len;
  char *method, *target, *version;
  struct http_header headers[HTTP_MAX_HEADERS];
  size_t n_headers;
};

/* Reads and parses one request head. Returns 0, or -1 on EOF/timeout/garbage
 * (errno-free; the caller just closes). */
int http_read_request(int fd, struct http_request *req);
const char *http_header(const struct http_request *req, const char *name);

int write_all(int fd, const void *buf, size_t len);
/* "HTTP/1.1 <status> <text>", text/plain; charset=utf-8, nosniff, body + "\n". */
int http_send_text(int fd, int status, const char *body, const char *extra_headers);
const char *http_status_text(int status);

/* Splits "host:port", "[v6]:port" or (with default_port) a bare host. host
 * keeps IPv6 brackets. Returns -1 on malformed input. */
int split_host_port(const char *hostport, int default_port, char *host, size_t hostlen, int *port);

#endif

#include "tests/pipelock-double/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static char *find_head_end(char *buf, size_t len, size_t *head_len)
{
  for (size_t i = 0; i + 1 < len; i++) {
    if (buf[i] != '\n')
      continue;
    if (buf[i + 1] == '\n') {
      *head_len = i + 2;
      return buf + i;
    }
    if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
      *head_len = i + 3;
      return buf + i;
    }
  }
  return NULL;
}

static void trim(char **s)
{
  while (**s == ' ' || **s == '\t')
    (*s)++;
  size_t n = strlen(*s);
  while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t' || (*s)[n - 1] == '\r'))
    (*s)[--n] = '\0';
}

int http_read_request(int fd, struct http_request *req)
{
  size_t len = 0;
  req->extra = NULL;
  req->extra_len = 0;
  req->n_headers = 0;
  for (;;) {
    if (len >= HTTP_MAX_HEAD)
      return -1;
    ssize_t got = read(fd, req->head + len, HTTP_MAX_HEAD - len);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return -1;
    len += (size_t)got;
    if (find_head_end(req->head, len, &req->head_len))
      break;
  }
  req->head[len] = '\0';
  req->extra = req->head + req->head_len;
  req->extra_len = len - req->head_len;
  /* Terminate the head in place; extra bytes stay where they are. */
  char *line = req->head;
  req->head[req->head_len - 1] = '\0';
  char *next = strchr(line, '\n');
  if (!next)
    return -1;
  *next++ = '\0';
  size_t ll = strlen(line);
  if (ll && line[ll - 1] == '\r')
    line[--ll] = '\0';
  char *sp1 = strchr(line, ' ');
  char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
  if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
    return -1;
  *sp1 = *sp2 = '\0';
  req->method = line;
  req->target = sp1 + 1;
  req->version = sp2 + 1;
  if (!*req->method || !*req->target || strncmp(req->version, "HTTP/1.", 7) != 0)
    return -1;
  while (next && *next) {
    char *h = next;
    next = strchr(h, '\n');
    if (next)
      *next++ = '\0';
    size_t hl = strlen(h);
    if (hl && h[hl - 1] == '\r')
      h[--hl] = '\0';
    if (!hl)
      break;
    char *colon = strchr(h, ':');
    if (!colon || colon == h || req->n_headers >= HTTP_MAX_HEADERS)
      return -1;
    *colon = '\0';
    char *value = colon + 1;
    trim(&value);
    for (char *c = h; *c; c++)
      if (*c == ' ' || *c == '\t')
        return -1;
    req->headers[req->n_headers].name = h;
    req->headers[req->n_headers].value = value;
    req->n_headers++;
  }
  return 0;
}

const char *http_header(const struct http_request *req, const char *name)
{
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  return NULL;
}

const char *http_status_text(int status)
{
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 411:
    return "Length Required";
  case 429:
    return "Too Many Requests";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  default:
    return "Status";
  }
}

int http_send_text(int fd, int status, const char *body, const char *extra_headers)
{
  char buf[2048];
  int n = snprintf(buf, sizeof(buf),
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "X-Content-Type-Options: nosniff\r\n%sContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s\n",
                   status, http_status_text(status), extra_headers ? extra_headers : "",
                   strlen(body) + 1, body);
  if (n < 0 || (size_t)n >= sizeof(buf))
    return -1;
  return write_all(fd, buf, (size_t)n);
}

int split_host_port(const char *hostport, int default_port, char *host, size_t hostlen, int *port)
{
  const char *portstr = NULL;
  size_t hl;
  if (hostport[0] == '[') {
    const char *close = strchr(hostport, ']');
    if (!close)
      return -1;
    hl = (size_t)(close - hostport) + 1;
    if (close[1] == ':')
      portstr = close + 2;
    else if (close[1] != '\0')
      return -1;
  } else {
    const char *colon = strrchr(hostport, ':');
    if (colon && strchr(hostport, ':') != colon)
      return -1; /* unbracketed IPv6 */
    hl = colon ? (size_t)(colon - hostport) : strlen(hostport);
    if (colon)
      portstr = colon + 1;
  }
  if (hl == 0 || hl >= hostlen)
    return -1;
  memcpy(host, hostport, hl);
  host[hl] = '\0';
  if (!portstr) {
    if (default_port <= 0)
      return -1;
    *port = default_port;
    return 0;
  }
  if (!*portstr || strlen(portstr) > 5)
    return -1;
  long p = 0;
  for (const char *c = portstr; *c; c++) {
    if (*c < '0' || *c > '9')
      return -1;
    p = p * 10 + (*c - '0');
  }
  if (p < 1 || p > 65535)
    return -1;
  *port = (int)p;
  return 0;
}

#include "runtime/container/sync.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SYNC_MAX 8192

int sync_send(int fd, enum sync_type t, const char *text)
{
  char buf[SYNC_MAX];
  uint32_t type = (uint32_t)t;
  memcpy(buf, &type, sizeof(type));
  size_t n = text ? strnlen(text, SYNC_MAX - sizeof(type) - 1) : 0;
  if (n)
    memcpy(buf + sizeof(type), text, n);
  ssize_t r;
  do
    r = send(fd, buf, sizeof(type) + n, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int sync_recv(int fd, enum sync_type *t, char **text)
{
  char buf[SYNC_MAX];
  ssize_t r;
  if (text)
    *text = NULL;
  do
    r = recv(fd, buf, sizeof(buf) - 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == ECONNRESET) {
      *t = SYNC_EOF;
      return 0;
    }
    return -1;
  }
  if (r < (ssize_t)sizeof(uint32_t)) {
    *t = SYNC_EOF;
    return 0;
  }
  uint32_t type;
  memcpy(&type, buf, sizeof(type));
  *t = (enum sync_type)type;
  buf[r] = '\0';
  if (text && r > (ssize_t)sizeof(type)) {
    *text = strdup(buf + sizeof(type));
  }
  return 0;
}

#include "netns/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t mask_of(int prefix)
{
  return prefix == 0 ? 0 : 0xffffffffU << (32 - prefix);
}

int nn_cidr_parse(const char *s, struct nn_cidr *out)
{
  char buf[32];
  if (s == NULL || strlen(s) >= sizeof(buf))
    return -1;
  strcpy(buf, s);
  char *slash = strchr(buf, '/');
  if (slash == NULL)
    return -1;
  *slash = '\0';
  char *end;
  long prefix = strtol(slash + 1, &end, 10);
  if (*end != '\0' || slash[1] == '\0' || prefix < 0 || prefix > 32)
    return -1;
  struct in_addr a;
  if (inet_pton(AF_INET, buf, &a) != 1)
    return -1;
  out->addr = ntohl(a.s_addr) & mask_of((int)prefix);
  out->prefix = (int)prefix;
  return 0;
}

bool nn_cidr_overlap(struct nn_cidr a, struct nn_cidr b)
{
  int p = a.prefix < b.prefix ? a.prefix : b.prefix;
  return (a.addr & mask_of(p)) == (b.addr & mask_of(p));
}

void nn_ip_str(uint32_t addr, char out[16])
{
  struct in_addr a = {.s_addr = htonl(addr)};
  inet_ntop(AF_INET, &a, out, 16);
}

bool nn_cidr_slot(struct nn_cidr pool, uint32_t i, struct nn_cidr *out)
{
  if (pool.prefix > 30)
    return false;
  uint64_t slots = 1ULL << (30 - pool.prefix);
  if (i >= slots)
    return false;
  out->addr = pool.addr + (i << 2);
  out->prefix = 30;
  return true;
}

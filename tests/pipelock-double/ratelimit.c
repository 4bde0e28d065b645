#include "tests/pipelock-double/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/pipelock-double/hostmatch.h"

#define MAX_SITES 1024
#define WINDOW_MS 60000LL

struct site {
  char key[256];
  long long *stamps; /* ring of the last `limit` scan times */
  long limit, next, used;
};

static struct site sites[MAX_SITES];
static size_t n_sites;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void site_key(const char *host, char *key, size_t len)
{
  const char *k = host;
  const char *last = strrchr(host, '.');
  if (!host_is_ip(host) && last) {
    for (const char *p = last; p > host; p--)
      if (p[-1] == '.') {
        k = p;
        break;
      }
  }
  size_t n = strlen(k);
  if (n >= len)
    n = len - 1;
  memcpy(key, k, n);
  key[n] = '\0';
}

static struct site *find_site(const char *key, long limit)
{
  for (size_t i = 0; i < n_sites; i++)
    if (strcmp(sites[i].key, key) == 0)
      return &sites[i];
  struct site *s;
  if (n_sites < MAX_SITES) {
    s = &sites[n_sites++];
  } else {
    s = &sites[(size_t)(now_ms() % MAX_SITES)]; /* evict an arbitrary site */
    free(s->stamps);
  }
  memset(s, 0, sizeof(*s));
  strcpy(s->key, key);
  s->stamps = calloc((size_t)limit, sizeof(*s->stamps));
  s->limit = s->stamps ? limit : 0;
  return s;
}

bool ratelimit_allow(const char *host, long limit)
{
  char key[256];
  site_key(host, key, sizeof(key));
  long long now = now_ms();
  bool ok = true;
  pthread_mutex_lock(&lock);
  struct site *s = find_site(key, limit);
  if (s->limit > 0) {
    /* The oldest of the last `limit` scans decides: within the window, refuse. */
    if (s->used == s->limit && now - s->stamps[s->next] < WINDOW_MS) {
      ok = false;
    } else {
      s->stamps[s->next] = now;
      s->next = (s->next + 1) % s->limit;
      if (s->used < s->limit)
        s->used++;
    }
  }
  pthread_mutex_unlock(&lock);
  return ok;
}

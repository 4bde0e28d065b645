/* A cache of compiled seccomp programs. libseccomp needs ~10 ms to turn
 * Docker's default profile into BPF, on every create and exec; the result
 * only depends on the profile text, libseccomp, the kernel and bottle
 * itself, so it is kept in a root-only directory under the state root.
 *
 * The file name is a (non-cryptographic) hash, so each file also stores the
 * complete key and a hit requires the key to match byte for byte: a profile
 * crafted to collide with another's hash can never be served the other's
 * program, nor make another container load its own. */
#include "runtime/security/seccomp_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

#ifndef BOTTLE_VERSION
#define BOTTLE_VERSION "dev"
#endif
#ifndef BOTTLE_COMMIT
#define BOTTLE_COMMIT "unknown"
#endif

#define CACHE_MAGIC "BTLSECC1"
#define CACHE_MAX_FILE (4u << 20)
#define CACHE_MAX_ENTRIES 256

struct cache_header {
  char magic[8];
  uint32_t key_len;
  uint32_t flags;
  uint32_t insns;
};

/* Everything the program depends on, then the profile itself. */
static char *cache_key(const cJSON *seccomp)
{
  cleanup_free char *text = cJSON_PrintUnformatted(seccomp);
  if (text == NULL)
    return NULL;
  const struct scmp_version *v = seccomp_version();
  struct utsname u;
  if (uname(&u) < 0)
    return NULL;
  return xasprintf("bottle %s %s\nlibseccomp %u.%u.%u api %u\nkernel %s %s\n%s", BOTTLE_VERSION,
                   BOTTLE_COMMIT, v->major, v->minor, v->micro, seccomp_api_get(), u.release,
                   u.machine, text);
}

static uint64_t fnv1a(const char *s, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static int read_all(int fd, void *buf, size_t len)
{
  size_t done = 0;
  while (done < len) {
    ssize_t n = read(fd, (char *)buf + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    done += (size_t)n;
  }
  return 0;
}

/* 0 and *prog filled on a hit; -1 on any miss (absent, foreign, corrupt, other key). */
static int cache_lookup(int dirfd, const char *name, const char *key, size_t key_len,
                        struct seccomp_program *prog)
{
  cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 022) != 0 || st.st_size > (off_t)CACHE_MAX_FILE)
    return -1;
  struct cache_header h;
  if (read_all(fd, &h, sizeof(h)) < 0 || memcmp(h.magic, CACHE_MAGIC, 8) != 0 ||
      h.key_len != key_len || h.insns == 0 || h.insns > BPF_MAXINSNS ||
      (off_t)(sizeof(h) + h.key_len + (size_t)h.insns * sizeof(struct sock_filter)) != st.st_size)
    return -1;
  cleanup_free char *stored = malloc(key_len);
  if (stored == NULL || read_all(fd, stored, key_len) < 0 || memcmp(stored, key, key_len) != 0)
    return -1;
  struct sock_filter *insns = calloc(h.insns, sizeof(*insns));
  if (insns == NULL || read_all(fd, insns, h.insns * sizeof(*insns)) < 0) {
    free(insns);
    return -1;
  }
  *prog = (struct seccomp_program){.insns = insns, .len = h.insns, .flags = h.flags};
  return 0;
}

static bool cache_full(int dirfd)
{
  int dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0)
    return true;
  DIR *d = fdopendir(dup);
  if (d == NULL) {
    close(dup);
    return true;
  }
  unsigned n = 0;
  while (readdir(d) != NULL && n <= CACHE_MAX_ENTRIES + 2)
    n++;
  closedir(d);
  return n > CACHE_MAX_ENTRIES + 2; /* "." and ".." */
}

/* Best effort: a cache that cannot be written only costs time. */
static void cache_store(int dirfd, const char *name, const char *key, size_t key_len,
                        const struct seccomp_program *prog)
{
  if (cache_full(dirfd))
    return;
  char tmp[64];
  snprintf(tmp, sizeof(tmp), ".tmp-%d-%s", (int)getpid(), name);
  cleanup_close int fd =
      openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  struct cache_header h = {
      .key_len = (uint32_t)key_len, .flags = prog->flags, .insns = (uint32_t)prog->len};
  memcpy(h.magic, CACHE_MAGIC, 8);
  if (write_all(fd, &h, sizeof(h)) < 0 || write_all(fd, key, key_len) < 0 ||
      write_all(fd, prog->insns, prog->len * sizeof(*prog->insns)) < 0 ||
      renameat(dirfd, tmp, dirfd, name) < 0)
    unlinkat(dirfd, tmp, 0);
}

static int open_cache_dir(const char *dir)
{
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return -1;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int seccomp_compile_cached(const cJSON *seccomp, const char *cache_dir, struct seccomp_filter **out,
                           bottle_error_t *err)
{
  *out = NULL;
  if (cache_dir == NULL || seccomp == NULL || cJSON_IsNull(seccomp))
    return seccomp_compile(seccomp, out, err);

  cleanup_free char *key = cache_key(seccomp);
  cleanup_close int dirfd = key ? open_cache_dir(cache_dir) : -1;
  if (dirfd < 0) {
    log_msg(LOG_DEBUG, "seccomp cache %s unusable; compiling", cache_dir);
    return seccomp_compile(seccomp, out, err);
  }
  size_t key_len = strlen(key);
  char name[32];
  snprintf(name, sizeof(name), "%016llx.bpf", (unsigned long long)fnv1a(key, key_len));

  struct seccomp_program prog = {0};
  if (cache_lookup(dirfd, name, key, key_len, &prog) == 0) {
    if (seccomp_filter_append(out, &prog, err) < 0) {
      free(prog.insns);
      return -1;
    }
    return 0;
  }
  if (seccomp_compile(seccomp, out, err) < 0)
    return -1;
  if (*out != NULL && (*out)->count == 1)
    cache_store(dirfd, name, key, key_len, &(*out)->progs[0]);
  return 0;
}

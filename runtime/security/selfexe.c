#include "runtime/security/selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/log.h"

extern char **environ;

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

void selfexe_ensure_sealed(char **argv)
{
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) {
    log_msg(LOG_WARNING, "cannot open /proc/self/exe: %s", strerror(errno));
    return;
  }
  int seals = fcntl(exe, F_GET_SEALS);
  if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS) {
    close(exe);
    return;
  }
  struct stat st;
  int mfd = memfd_create("bottle", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0 || fstat(exe, &st) < 0)
    goto fail;
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      goto fail;
  }
  if (fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0)
    goto fail;
  close(exe);
  fexecve(mfd, argv, environ);
  exe = -1;
fail:
  log_msg(LOG_WARNING, "cannot re-exec from a sealed copy: %s", strerror(errno));
  if (exe >= 0)
    close(exe);
  if (mfd >= 0)
    close(mfd);
}

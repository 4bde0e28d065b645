/* runtime/safepath: a temporary root full of hostile symlinks (absolute,
 * relative ../.., into /proc/self/...), next to an "outside" directory that
 * must never be read, created in or written through. Needs root only for
 * the /proc magic-link case (a private mount namespace). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/rootfs/safepath.h"
#include "tests/unit/unit.h"

static char base[64];     /* /tmp/test_safepath.XXXXXX */
static char root[128];    /* base/root: the confined root */
static char outside[128]; /* base/outside: must stay untouched */
static int rootfd = -1;

static void mkpath(const char *sub)
{
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", root, sub);
  mkdir(p, 0755);
}

static void put(const char *dir, const char *name, const char *content)
{
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (f) {
    fputs(content, f);
    fclose(f);
  }
}

static void link_in_root(const char *target, const char *name)
{
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", root, name);
  if (symlink(target, p) < 0)
    perror(p);
}

static char *read_fd(int fd)
{
  static char buf[256];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

static bool exists_outside(const char *name)
{
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", outside, name);
  struct stat st;
  return lstat(p, &st) == 0;
}

static bool exists_in_root(const char *name)
{
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", root, name);
  struct stat st;
  return lstat(p, &st) == 0;
}

static void setup(void)
{
  snprintf(base, sizeof(base), "/tmp/test_safepath.XXXXXX");
  if (mkdtemp(base) == NULL) {
    perror("mkdtemp");
    exit(1);
  }
  snprintf(root, sizeof(root), "%s/root", base);
  snprintf(outside, sizeof(outside), "%s/outside", base);
  mkdir(root, 0755);
  mkdir(outside, 0755);
  put(outside, "secret", "outside\n");
  mkpath("etc");
  mkpath("dir");
  mkpath("dir/sub");
  put(root, "etc/secret", "inside\n");
  put(root, "etc/long", "a long existing content that must be truncated\n");
  char abs_outside[256];
  snprintf(abs_outside, sizeof(abs_outside), "%s", outside);
  link_in_root(abs_outside, "abs");               /* absolute path of the outside dir */
  link_in_root("../outside", "rel");              /* relative escape by one level */
  link_in_root("../../../../../../../tmp", "up"); /* many levels up */
  link_in_root("/proc/self/root", "magic");       /* procfs magic link */
  link_in_root("/proc/self/fd", "fds");
  link_in_root("/etc", "dir/sub/etclink"); /* absolute, must mean root/etc */
  link_in_root("../../etc", "dir/sub/reletc");
  link_in_root("/missing/deeper", "dangling");
  char secret_path[256];
  snprintf(secret_path, sizeof(secret_path), "%s/secret", outside);
  link_in_root(secret_path, "etc/to_outside_file");
  rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void cleanup_tree(void)
{
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
  if (system(cmd) != 0)
    fprintf(stderr, "cleanup of %s failed\n", base);
}

static void test_open_symlinks_stay_inside(void)
{
  static const char *const paths[] = {
      "abs/secret",   "rel/secret",         "up/secret",           "../outside/secret",
      "../../secret", "/../outside/secret", "etc/to_outside_file",
  };
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    bottle_error_t err = {0};
    cleanup_close int fd = safepath_open(rootfd, paths[i], O_RDONLY, 0, &err);
    /* Either not found inside the root, or a file inside it: never "outside". */
    if (fd >= 0)
      CHECK(strcmp(read_fd(fd), "outside\n") != 0);
    else
      CHECK(err.set && err.errnum == ENOENT);
    berr_clear(&err);
  }
  /* Symlinks that resolve inside the root are followed, as if it were "/". */
  bottle_error_t err = {0};
  cleanup_close int fd = safepath_open(rootfd, "dir/sub/etclink/secret", O_RDONLY, 0, &err);
  CHECK(fd >= 0);
  if (fd >= 0)
    CHECK_STREQ(read_fd(fd), "inside\n");
  cleanup_close int fd2 = safepath_open(rootfd, "/dir/sub/reletc/secret", O_RDONLY, 0, &err);
  CHECK(fd2 >= 0);
  if (fd2 >= 0)
    CHECK_STREQ(read_fd(fd2), "inside\n");
  cleanup_close int fd3 = safepath_open(rootfd, "/", O_PATH | O_DIRECTORY, 0, &err);
  CHECK(fd3 >= 0);
  berr_clear(&err);
}

static void test_open_errors_name_the_path(void)
{
  bottle_error_t err = {0};
  CHECK(safepath_open(rootfd, "no/such/file", O_RDONLY, 0, &err) < 0);
  CHECK(err.set);
  if (err.set) {
    CHECK_CONTAINS(err.msg, "no/such/file");
    CHECK(err.errnum == ENOENT);
  }
  berr_clear(&err);
}

/* /proc mounted inside the root (as in a container): a symlink to
 * /proc/self/root or /proc/self/fd/N would lead out; magic links are refused. */
static void test_open_refuses_magic_links(void)
{
  pid_t pid = fork();
  if (pid == 0) {
    char procdir[512];
    snprintf(procdir, sizeof(procdir), "%s/proc", root);
    mkdir(procdir, 0755);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
        mount("/proc", procdir, NULL, MS_BIND | MS_REC, NULL) < 0)
      _exit(77);
    /* The old fd names the root in the old mount namespace, without /proc. */
    close(rootfd);
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int outfd = open(outside, O_RDONLY | O_DIRECTORY);
    char via_fd[64];
    snprintf(via_fd, sizeof(via_fd), "fds/%d/secret", outfd);
    int failures = 0;
    bottle_error_t err = {0};
    int fd = safepath_open(rootfd, "magic/secret", O_RDONLY, 0, &err);
    if (fd >= 0 || !err.set || err.errnum != ELOOP)
      failures |= 1;
    berr_clear(&err);
    fd = safepath_open(rootfd, via_fd, O_RDONLY, 0, &err);
    if (fd >= 0 || !err.set || err.errnum != ELOOP)
      failures |= 2;
    berr_clear(&err);
    fd = safepath_mkdirs(rootfd, "magic/newdir", 0755, &err);
    if (fd >= 0)
      failures |= 4;
    berr_clear(&err);
    fd = safepath_write_file(rootfd, "proc/self/root/planted", "x", 1, 0644, &err);
    if (fd >= 0)
      failures |= 8;
    berr_clear(&err);
    _exit(failures);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    printf("# skipped magic-link case: needs root for a mount namespace\n");
    return;
  }
  CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 1) == 0);
  CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 2) == 0);
  CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 4) == 0);
  CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 8) == 0);
  CHECK(!exists_outside("newdir"));
}

static void test_mkdirs_stays_inside(void)
{
  bottle_error_t err = {0};
  cleanup_close int a = safepath_mkdirs(rootfd, "abs/made_abs/x", 0755, &err);
  CHECK(a >= 0);
  CHECK(!exists_outside("made_abs"));
  CHECK(exists_in_root(outside + 1)); /* the link's target, recreated under the root */
  cleanup_close int r = safepath_mkdirs(rootfd, "/rel/made_rel", 0755, &err);
  CHECK(r >= 0);
  CHECK(!exists_outside("made_rel"));
  cleanup_close int u = safepath_mkdirs(rootfd, "../../made_up", 0755, &err);
  CHECK(u >= 0);
  CHECK(exists_in_root("made_up"));
  /* A dangling symlink: the directories are made where it points, inside. */
  cleanup_close int d = safepath_mkdirs(rootfd, "dangling/leaf", 0700, &err);
  CHECK(d >= 0);
  CHECK(exists_in_root("missing/deeper/leaf"));
  struct stat st;
  char p[512];
  snprintf(p, sizeof(p), "%s/missing/deeper/leaf", root);
  CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
  /* The returned fd is the directory itself. */
  if (d >= 0) {
    CHECK(fstat(d, &st) == 0 && S_ISDIR(st.st_mode));
    struct stat want;
    CHECK(stat(p, &want) == 0 && want.st_ino == st.st_ino);
  }
  /* mkdir's own error is reported (here: a read-only directory, as a
   * non-root user would meet it; root is exempt, so use a read-only bind). */
  pid_t pid = fork();
  if (pid == 0) {
    char ro[512];
    snprintf(ro, sizeof(ro), "%s/dir", root);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
        mount(ro, ro, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, ro, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
      _exit(77);
    int fd2 = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    bottle_error_t e2 = {0};
    int rc = safepath_mkdirs(fd2, "dir/newsub", 0755, &e2);
    _exit(rc < 0 && e2.set && e2.errnum == EROFS ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 77))
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* A file in the way is an error, not a silent success. */
  CHECK(safepath_mkdirs(rootfd, "etc/secret/below", 0755, &err) < 0);
  CHECK(err.set && err.errnum == ENOTDIR);
  berr_clear(&err);
}

static void test_write_file(void)
{
  bottle_error_t err = {0};
  mode_t old = umask(077);
  const char conf[] = "version: 1\n";
  CHECK(safepath_write_file(rootfd, "/etc/pipelock/pipelock.yaml", conf, strlen(conf), 0644,
                            &err) == 0);
  umask(old);
  char p[512];
  snprintf(p, sizeof(p), "%s/etc/pipelock/pipelock.yaml", root);
  struct stat st;
  CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0644);
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
  CHECK_STREQ(read_fd(fd), conf);

  /* Truncates what was there, and sets the mode even when it was different. */
  CHECK(safepath_write_file(rootfd, "etc/long", "short\n", 6, 0600, &err) == 0);
  snprintf(p, sizeof(p), "%s/etc/long", root);
  cleanup_close int lf = open(p, O_RDONLY | O_CLOEXEC);
  CHECK_STREQ(read_fd(lf), "short\n");
  CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);

  /* Never through a symlink, even one that would stay inside. */
  CHECK(safepath_write_file(rootfd, "etc/to_outside_file", "pwned", 5, 0644, &err) < 0);
  CHECK(err.set && err.errnum == ELOOP);
  berr_clear(&err);
  CHECK(safepath_write_file(rootfd, "abs/secret", "pwned", 5, 0644, &err) < 0);
  berr_clear(&err);
  CHECK(safepath_write_file(rootfd, "dir/sub/etclink/secret", "pwned", 5, 0644, &err) < 0);
  berr_clear(&err);
  CHECK(safepath_write_file(rootfd, "../outside/secret", "pwned", 5, 0644, &err) == 0 || err.set);
  berr_clear(&err);
  snprintf(p, sizeof(p), "%s/secret", outside);
  cleanup_close int sf = open(p, O_RDONLY | O_CLOEXEC);
  CHECK_STREQ(read_fd(sf), "outside\n");
  snprintf(p, sizeof(p), "%s/etc/secret", root);
  cleanup_close int inf = open(p, O_RDONLY | O_CLOEXEC);
  CHECK_STREQ(read_fd(inf), "inside\n");

  /* A FIFO planted at the path is refused without blocking. */
  snprintf(p, sizeof(p), "%s/etc/fifo", root);
  CHECK(mkfifo(p, 0644) == 0);
  CHECK(safepath_write_file(rootfd, "etc/fifo", "x", 1, 0644, &err) < 0);
  CHECK(err.set && strstr(err.msg, "not a regular file") != NULL);
  berr_clear(&err);

  /* A hard link (to a file outside the root on the same fs) is refused. */
  char src[512], dst[512];
  snprintf(src, sizeof(src), "%s/secret", outside);
  snprintf(dst, sizeof(dst), "%s/etc/hardlink", root);
  if (link(src, dst) == 0) {
    CHECK(safepath_write_file(rootfd, "etc/hardlink", "pwned", 5, 0644, &err) < 0);
    CHECK(err.set && strstr(err.msg, "hard links") != NULL);
    berr_clear(&err);
    cleanup_close int hf = open(src, O_RDONLY | O_CLOEXEC);
    CHECK_STREQ(read_fd(hf), "outside\n");
  }

  /* Directory parents are created without following symlinks either. */
  CHECK(safepath_write_file(rootfd, "abs/newfile", "x", 1, 0644, &err) < 0);
  berr_clear(&err);
  CHECK(!exists_outside("newfile"));
}

int main(void)
{
  signal(SIGALRM, SIG_DFL);
  alarm(30); /* a FIFO regression must fail, not hang the suite */
  setup();
  if (rootfd < 0) {
    perror("open root");
    cleanup_tree();
    return 1;
  }
  RUN(test_open_symlinks_stay_inside);
  RUN(test_open_errors_name_the_path);
  RUN(test_open_refuses_magic_links);
  RUN(test_mkdirs_stays_inside);
  RUN(test_write_file);
  close(rootfd);
  cleanup_tree();
  return unit_finish();
}

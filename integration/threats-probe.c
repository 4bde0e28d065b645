/* threats-probe: syscall-level probes for integration/threats_*.sh, run inside a bottled agent.
 * Built there with `gcc -static` and copied into the agent rootfs. Each subcommand prints one
 * line "NAME: ok" or "NAME: EXXX (message)" (or how a child died) so a test can match the exact
 * outcome, and exits 0 either way: the test decides what must hold.
 *
 *   tcp4 IP PORT            connect; 5 s bound, printed as "timeout" (never expected)
 *   udp4 IP PORT            sendto one datagram
 *   tcp6 ADDR IFNAME PORT   connect to a link-local address on IFNAME
 *   ping4 IP                one ICMP echo over an ICMP datagram socket (what unprivileged
 *                           ping uses); "reply", "no reply" (after 2 s) or the errno
 *   socket FAMILY TYPE PROTO
 *   io_uring                io_uring_setup(1, ...)
 *   setns PATH              setns(open(PATH), CLONE_NEWNET)
 *   unshare-net             unshare(CLONE_NEWNET)
 *   clone-net               clone(CLONE_NEWNET) (the child exits at once)
 *   clone3                  clone3 with an empty argument block
 *   int80                   socketcall(SYS_SOCKET) through int 0x80, in a child
 *   x32                     socket() with the x32 bit, in a child
 *   fds                     this process's open fds (the directory fd excluded)
 *   tun                     open /dev/net/tun and TUNSETIFF a new tun device
 *   ptrace PID              PTRACE_ATTACH (detaches again if it worked)
 *   vm-read PID             process_vm_readv of one byte at address 4096
 *   pidfd-getfd PID FD      pidfd_open + pidfd_getfd
 *   unix NAME               connect to the abstract unix socket @NAME
 *   finit-module            finit_module(-1, "", 0): EBADF means the call reached the
 *                           kernel with CAP_SYS_MODULE (no module is ever loaded)
 *   kernel-code             the calls that reach the host's kernel, one line each, with
 *                           arguments the kernel refuses before doing anything: init-module,
 *                           finit-module, delete-module (a module that does not exist),
 *                           kexec-load (a bad architecture), kexec-file-load (bad flags),
 *                           open-by-handle (fd -1), bpf (a NULL attr), iopl (level 0: no
 *                           change), ioperm (0 ports). With their capabilities the kernel never
 *                           says EPERM to these (ENOSYS without the feature, else EBADF,
 *                           EFAULT, EINVAL, ENOENT or ok): EPERM is a seccomp filter's answer
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *name, int rc)
{
  if (rc >= 0)
    printf("%s: ok\n", name);
  else
    printf("%s: %s (%s)\n", name, strerrorname_np(errno), strerror(errno));
  return 0;
}

static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len)
{
  fcntl(fd, F_SETFL, O_NONBLOCK);
  if (connect(fd, sa, len) == 0)
    return 0;
  if (errno != EINPROGRESS)
    return -1;
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  if (poll(&p, 1, 5000) == 0) {
    errno = ETIMEDOUT;
    printf("(timeout) ");
    return -1;
  }
  int soerr = 0;
  socklen_t sl = sizeof(soerr);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
  if (soerr != 0) {
    errno = soerr;
    return -1;
  }
  return 0;
}

static int tcp4(const char *ip, const char *port)
{
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
    return fprintf(stderr, "bad address %s\n", ip), 2;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return report("tcp4 socket", -1);
  return report("tcp4", connect_bounded(fd, (struct sockaddr *)&sa, sizeof(sa)));
}

static int udp4(const char *ip, const char *port)
{
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
    return fprintf(stderr, "bad address %s\n", ip), 2;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0)
    return report("udp4 socket", -1);
  int rc = (int)sendto(fd, "probe", 5, 0, (struct sockaddr *)&sa, sizeof(sa));
  return report("udp4", rc);
}

static int tcp6(const char *ip, const char *ifname, const char *port)
{
  struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port))};
  if (inet_pton(AF_INET6, ip, &sa.sin6_addr) != 1)
    return fprintf(stderr, "bad address %s\n", ip), 2;
  sa.sin6_scope_id = if_nametoindex(ifname);
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0)
    return report("tcp6 socket", -1);
  return report("tcp6", connect_bounded(fd, (struct sockaddr *)&sa, sizeof(sa)));
}

static int ping4(const char *ip)
{
  struct sockaddr_in sa = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
    return fprintf(stderr, "bad address %s\n", ip), 2;
  int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (fd < 0)
    return report("ping4 socket", -1);
  /* type 8 (echo request); the kernel fills in the id and the checksum */
  unsigned char echo[16] = {8, 0, 0, 0, 0, 0, 0, 1, 'p', 'r', 'o', 'b', 'e'};
  if (sendto(fd, echo, sizeof(echo), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    return report("ping4", -1);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = poll(&p, 1, 2000);
  if (n == 0) {
    printf("ping4: no reply\n");
    return 0;
  }
  unsigned char buf[256];
  if (recv(fd, buf, sizeof(buf), 0) < 0)
    return report("ping4", -1);
  printf("ping4: reply type %u\n", buf[0]);
  return 0;
}

/* Runs fn in a child and says how the child ended. */
static int in_child(const char *name, void (*fn)(void))
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st))
    printf("%s: killed by signal %d (%s)\n", name, WTERMSIG(st), strsignal(WTERMSIG(st)));
  else
    printf("%s: exited %d\n", name, WEXITSTATUS(st));
  return 0;
}

/* socketcall args must be addressable with 32 bits: a static non-PIE binary's .bss is. */
static unsigned int socketcall_args[3] = {AF_INET, SOCK_STREAM, 0};

static void do_int80(void)
{
  long ret;
  unsigned int args = (unsigned int)(unsigned long)socketcall_args;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(102L), "b"(1L), "c"((long)args) : "memory");
  printf("int80: returned %ld\n", ret);
  fflush(stdout);
}

static void do_x32(void)
{
  long ret = syscall(0x40000000L | SYS_socket, AF_INET, SOCK_STREAM, 0);
  printf("x32: returned %ld errno %s\n", ret, ret < 0 ? strerrorname_np(errno) : "-");
  fflush(stdout);
}

static int fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return report("fds", -1);
  int self = dirfd(d);
  struct dirent *e;
  printf("fds:");
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == self)
      continue;
    char path[300], target[256];
    snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    target[n < 0 ? 0 : n] = '\0';
    printf(" %s=%s", e->d_name, target);
  }
  printf("\n");
  closedir(d);
  return 0;
}

static int tun(void)
{
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return report("tun open", -1);
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "probe-tun");
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  return report("tun", ioctl(fd, TUNSETIFF, &ifr));
}

static int abstract_unix(const char *name)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t n = strlen(name);
  if (n + 1 > sizeof(sa.sun_path))
    return fprintf(stderr, "name too long\n"), 2;
  memcpy(sa.sun_path + 1, name, n);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return report("unix socket", -1);
  return report("unix", connect(fd, (struct sockaddr *)&sa,
                                (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)));
}

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *cmd = argc > 1 ? argv[1] : "";
  if (strcmp(cmd, "tcp4") == 0 && argc == 4)
    return tcp4(argv[2], argv[3]);
  if (strcmp(cmd, "udp4") == 0 && argc == 4)
    return udp4(argv[2], argv[3]);
  if (strcmp(cmd, "tcp6") == 0 && argc == 5)
    return tcp6(argv[2], argv[3], argv[4]);
  if (strcmp(cmd, "ping4") == 0 && argc == 3)
    return ping4(argv[2]);
  if (strcmp(cmd, "socket") == 0 && argc == 5) {
    char name[64];
    snprintf(name, sizeof(name), "socket %s %s %s", argv[2], argv[3], argv[4]);
    return report(name, socket(atoi(argv[2]), atoi(argv[3]), atoi(argv[4])));
  }
  if (strcmp(cmd, "io_uring") == 0) {
    char params[120] = {0}; /* struct io_uring_params */
    return report("io_uring", (int)syscall(SYS_io_uring_setup, 1, params));
  }
  if (strcmp(cmd, "setns") == 0 && argc == 3) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return report("setns open", -1);
    return report("setns", setns(fd, CLONE_NEWNET));
  }
  if (strcmp(cmd, "unshare-net") == 0)
    return report("unshare-net", unshare(CLONE_NEWNET));
  if (strcmp(cmd, "clone-net") == 0) {
    long pid = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0L, 0L, 0L, 0L);
    if (pid == 0)
      _exit(0);
    if (pid > 0)
      waitpid((pid_t)pid, NULL, 0);
    return report("clone-net", (int)pid);
  }
  if (strcmp(cmd, "clone3") == 0) {
    char args[88] = {0}; /* struct clone_args, all zero: would fork */
    long pid = syscall(SYS_clone3, args, sizeof(args));
    if (pid == 0)
      _exit(0);
    if (pid > 0)
      waitpid((pid_t)pid, NULL, 0);
    return report("clone3", (int)pid);
  }
  if (strcmp(cmd, "int80") == 0)
    return in_child("int80", do_int80);
  if (strcmp(cmd, "x32") == 0)
    return in_child("x32", do_x32);
  if (strcmp(cmd, "fds") == 0)
    return fds();
  if (strcmp(cmd, "tun") == 0)
    return tun();
  if (strcmp(cmd, "ptrace") == 0 && argc == 3) {
    pid_t pid = atoi(argv[2]);
    long rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
    report("ptrace", (int)rc);
    if (rc == 0) {
      waitpid(pid, NULL, 0);
      ptrace(PTRACE_DETACH, pid, NULL, NULL);
    }
    return 0;
  }
  if (strcmp(cmd, "vm-read") == 0 && argc == 3) {
    char byte;
    struct iovec local = {&byte, 1}, remote = {(void *)4096, 1};
    return report("vm-read", (int)process_vm_readv(atoi(argv[2]), &local, 1, &remote, 1, 0));
  }
  if (strcmp(cmd, "pidfd-getfd") == 0 && argc == 4) {
    int pidfd = (int)syscall(SYS_pidfd_open, atoi(argv[2]), 0);
    if (pidfd < 0)
      return report("pidfd_open", -1);
    return report("pidfd-getfd", (int)syscall(SYS_pidfd_getfd, pidfd, atoi(argv[3]), 0));
  }
  if (strcmp(cmd, "finit-module") == 0)
    return report("finit-module", (int)syscall(SYS_finit_module, -1, "", 0));
  if (strcmp(cmd, "kernel-code") == 0) {
    report("init-module", (int)syscall(SYS_init_module, NULL, 0, ""));
    report("finit-module", (int)syscall(SYS_finit_module, -1, "", 0));
    report("delete-module", (int)syscall(SYS_delete_module, "bottle-no-such-module", 0));
    report("kexec-load", (int)syscall(SYS_kexec_load, 0, 1000, NULL, 0xffff0000UL));
    report("kexec-file-load", (int)syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0xff00UL));
    report("open-by-handle", (int)syscall(SYS_open_by_handle_at, -1, NULL, 0));
    report("bpf", (int)syscall(SYS_bpf, 0, NULL, 0));
    report("iopl", (int)syscall(SYS_iopl, 0));
    return report("ioperm", (int)syscall(SYS_ioperm, 0, 0, 0));
  }
  if (strcmp(cmd, "unix") == 0 && argc == 3)
    return abstract_unix(argv[2]);
  fprintf(stderr, "usage: see the comment at the top of threats-probe.c\n");
  return 2;
}

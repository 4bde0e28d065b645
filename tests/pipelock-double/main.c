/* pipelock-double: a stand-in for pipelock 2.3.0 with the same command line
 * (pipelock.md §3.1), config strictness (§1-2) and observable proxy behaviour
 * (§3-4), for tests that cannot pull the real image. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/pipelock-double/audit.h"
#include "tests/pipelock-double/cleanup.h"
#include "tests/pipelock-double/dlp.h"
#include "tests/pipelock-double/fakedns.h"
#include "tests/pipelock-double/http.h"
#include "tests/pipelock-double/metrics.h"
#include "tests/pipelock-double/policy.h"
#include "tests/pipelock-double/proxy.h"

/* Reachable for the whole run, so nothing in it is a leak. */
static struct policy policy;
static struct proxy proxy;

/* Hot reload as pipelock's config.Reloader does it (pipelock.md §3.1): SIGHUP reloads at once; a
 * write, create or rename of the config's name in its directory reloads 100 ms after the last
 * such event. A config that fails to load is reported on stderr and the old one stays. What a
 * reload cannot change stays as started: the listeners (bound already) and forward_proxy.enabled
 * (pipelock needs a restart for it), and a --mode given on the command line still wins. */
static struct {
  pthread_mutex_t lock;
  const char *path, *mode; /* path: NULL until the proxy has its first config */
} reload = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void reload_config(void)
{
  pthread_mutex_lock(&reload.lock);
  if (reload.path == NULL) {
    pthread_mutex_unlock(&reload.lock);
    return;
  }
  /* Never freed: a client thread may still read the one it replaces. */
  struct policy *next = calloc(1, sizeof(*next));
  char err[1024];
  struct audit_line l;
  if (next == NULL || policy_load(reload.path, next, err, sizeof(err)) < 0) {
    fprintf(stderr, "pipelock: config reload failed: %s\n", next ? err : "out of memory");
    pthread_mutex_unlock(&reload.lock);
    return;
  }
  if (reload.mode) {
    free(next->mode);
    next->mode = strdup(reload.mode);
  }
  next->forward_enabled = proxy.policy->forward_enabled;
  __atomic_store_n(&proxy.policy, next, __ATOMIC_RELEASE);
  audit_begin(&l, "info", "config_reload");
  audit_num(&l, "api_allowlist", (long long)next->api_allowlist.n);
  audit_emit(&l, "config reloaded");
  pthread_mutex_unlock(&reload.lock);
}

static void *watch_thread(void *arg)
{
  (void)arg;
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s", reload.path);
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : reload.path;
  if (slash == dir)
    dir[1] = '\0';
  else if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof(dir), ".");
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0 ||
      inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
    return NULL; /* as pipelock: no watch, SIGHUP still reloads */
  bool pending = false;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, pending ? 100 : -1);
    if (r == 0) {
      pending = false;
      reload_config();
      continue;
    }
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(fd, buf, sizeof(buf));
    for (ssize_t off = 0; n > 0 && off < n;) {
      const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
      if (ev->len > 0 && strcmp(ev->name, base) == 0)
        pending = true;
      off += (ssize_t)(sizeof(*ev) + ev->len);
    }
  }
  return NULL;
}

static void usage(FILE *out)
{
  fprintf(out, "Usage:\n"
               "  pipelock run --listen ADDR:PORT --config FILE [--mode MODE]\n"
               "  pipelock check --config FILE\n"
               "  pipelock healthcheck [--addr ADDR:PORT]\n"
               "  pipelock version\n"
               "Test tool (not in pipelock):\n"
               "  pipelock fake-dns --listen IP:PORT --log FILE [NAME=IPV4...]\n");
}

__attribute__((format(printf, 1, 2))) static int cli_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "Error: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  usage(stderr);
  return 1;
}

struct flag {
  const char *long_name, *short_name;
  const char **value;
};

/* Cobra-like flag parsing: --name VALUE, --name=VALUE, -n VALUE. Positional
 * arguments are refused (pipelock allows them only after "--", for nothing
 * the double supports). */
static int parse_flags(int argc, char **argv, struct flag *flags, const char *cmd)
{
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || !a[1]) {
      cli_error("unexpected argument \"%s\" (pipelock takes flags only)", a);
      return -1;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      exit(0);
    }
    const char *eq = strchr(a, '=');
    size_t nl = eq ? (size_t)(eq - a) : strlen(a);
    struct flag *f = NULL;
    for (struct flag *g = flags; g->long_name; g++)
      if ((strlen(g->long_name) == nl && strncmp(a, g->long_name, nl) == 0) ||
          (g->short_name && strlen(g->short_name) == nl && strncmp(a, g->short_name, nl) == 0))
        f = g;
    if (!f) {
      char what[200];
      snprintf(what, sizeof(what), "%.*s for \"pipelock %s\"", (int)nl, a, cmd);
      cli_error("unknown flag: %s", what);
      return -1;
    }
    if (eq) {
      *f->value = eq + 1;
    } else {
      if (i + 1 >= argc) {
        cli_error("flag needs an argument: %s", a);
        return -1;
      }
      *f->value = argv[++i];
    }
  }
  return 0;
}

static void *signal_thread(void *arg)
{
  sigset_t *set = arg;
  for (;;) {
    int sig;
    if (sigwait(set, &sig) != 0)
      continue;
    struct audit_line l;
    if (sig == SIGHUP) {
      reload_config();
      continue;
    }
    audit_begin(&l, "info", "shutdown");
    audit_str(&l, "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    audit_emit(&l, "pipelock stopped");
    _exit(0);
  }
  return NULL;
}

static int cmd_run(int argc, char **argv)
{
  const char *config = NULL, *listen_addr = NULL, *mode = NULL;
  /* Test knobs, not pipelock's: a proxy that listens late (create must wait for it), and one
   * whose forward proxy is off whatever the config says (the start gate must notice), and one
   * with no /health (a forward proxy that is not pipelock: sidecar.readiness). */
  const char *listen_delay_ms = NULL, *forward_proxy = NULL, *no_health = NULL;
  struct flag flags[] = {{"--config", "-c", &config},
                         {"--listen", "-l", &listen_addr},
                         {"--mode", "-m", &mode},
                         {"--test-listen-delay-ms", NULL, &listen_delay_ms},
                         {"--test-forward-proxy", NULL, &forward_proxy},
                         {"--test-no-health", NULL, &no_health},
                         {NULL, NULL, NULL}};
  if (parse_flags(argc, argv, flags, "run") < 0)
    return 1;
  if (!config) {
    fprintf(stderr, "Error: --config is required by the double (bottle always passes "
                    "--config /etc/pipelock.yaml)\n");
    return 1;
  }
  char err[1024];
  if (policy_load(config, &policy, err, sizeof(err)) < 0) {
    fprintf(stderr, "loading config: %s\n", err);
    return 1;
  }
  if (mode) {
    if (strcmp(mode, "strict") && strcmp(mode, "balanced") && strcmp(mode, "audit")) {
      fprintf(stderr, "Error: invalid --mode %s: must be strict, balanced, or audit\n", mode);
      return 1;
    }
    if (!strcmp(mode, "strict") && policy.api_allowlist.n == 0) {
      fprintf(stderr, "loading config: invalid config: strict mode requires at least one "
                      "domain in api_allowlist\n");
      return 1;
    }
    free(policy.mode);
    policy.mode = strdup(mode);
  }
  if (forward_proxy) {
    if (strcmp(forward_proxy, "true") && strcmp(forward_proxy, "false"))
      return cli_error("--test-forward-proxy %s: must be true or false", forward_proxy);
    policy.forward_enabled = strcmp(forward_proxy, "true") == 0;
  }
  dlp_init(&policy);
  signal(SIGPIPE, SIG_IGN);
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  pthread_t t;
  if (pthread_create(&t, NULL, signal_thread, &set) != 0) {
    fprintf(stderr, "Error: cannot start signal thread\n");
    return 1;
  }
  if (no_health && strcmp(no_health, "true") != 0)
    return cli_error("--test-no-health %s: must be true", no_health);
  proxy.no_health = no_health != NULL;
  proxy.policy = &policy;
  proxy.started = time(NULL);
  pthread_mutex_lock(&reload.lock);
  reload.path = config;
  reload.mode = mode;
  pthread_mutex_unlock(&reload.lock);
  pthread_t w;
  if (pthread_create(&w, NULL, watch_thread, NULL) != 0) {
    fprintf(stderr, "Error: cannot start the config watcher\n");
    return 1;
  }
  if (policy.metrics_listen && policy.metrics_listen[0] &&
      metrics_listen_start(&proxy, policy.metrics_listen) < 0)
    return 1;
  if (listen_delay_ms) {
    long ms = atol(listen_delay_ms);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  proxy_serve(&proxy, listen_addr ? listen_addr : policy.fetch_listen);
  return 1;
}

static int cmd_check(int argc, char **argv)
{
  const char *config = NULL;
  struct flag flags[] = {{"--config", "-c", &config}, {NULL, NULL, NULL}};
  if (parse_flags(argc, argv, flags, "check") < 0)
    return 1;
  if (!config) {
    fprintf(stderr, "Error: --config is required\n");
    return 1;
  }
  char err[1024];
  if (policy_load(config, &policy, err, sizeof(err)) < 0) {
    printf("Config validation FAILED: %s\n", err);
    return 1;
  }
  printf("Config validation: OK\n");
  return 0;
}

/* cli/runtime/healthcheck.go: GET /health, 3 s, exit 0 only on 200. */
static int cmd_healthcheck(int argc, char **argv)
{
  const char *addr = "127.0.0.1:8888";
  struct flag flags[] = {{"--addr", NULL, &addr}, {NULL, NULL, NULL}};
  if (parse_flags(argc, argv, flags, "healthcheck") < 0)
    return 1;
  char host[300];
  int port;
  struct ipaddr ip;
  if (split_host_port(addr, 0, host, sizeof(host), &port) < 0) {
    fprintf(stderr, "Error: invalid --addr %s\n", addr);
    return 1;
  }
  if (host[0] == '[') {
    memmove(host, host + 1, strlen(host));
    host[strlen(host) - 1] = '\0';
  }
  if (strcmp(host, "localhost") == 0)
    snprintf(host, sizeof(host), "127.0.0.1");
  if (!ipaddr_parse(host, &ip)) {
    fprintf(stderr, "Error: --addr needs an IP address, got %s\n", host);
    return 1;
  }
  autoclose int fd = dial_addrs(&ip, 1, port, 3000);
  if (fd < 0) {
    fprintf(stderr, "health check failed: cannot connect to %s\n", addr);
    return 1;
  }
  struct timeval tv = {.tv_sec = 3};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char req[400], resp[64] = "";
  int n = snprintf(req, sizeof(req),
                   "GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr);
  if (write_all(fd, req, (size_t)n) < 0 || read(fd, resp, sizeof(resp) - 1) < 12 ||
      strncmp(resp + 8, " 200", 4) != 0) {
    fprintf(stderr, "health check failed: %s did not answer 200\n", addr);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "run") == 0)
    return cmd_run(argc - 2, argv + 2);
  if (strcmp(cmd, "check") == 0)
    return cmd_check(argc - 2, argv + 2);
  if (strcmp(cmd, "healthcheck") == 0)
    return cmd_healthcheck(argc - 2, argv + 2);
  if (strcmp(cmd, "fake-dns") == 0)
    return fake_dns_main(argc - 2, argv + 2);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("pipelock 2.3.0-double\n");
    return 0;
  }
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (cmd[0] == '-')
    return cli_error("unknown flag: %s (give a command first: pipelock run ...)", cmd);
  return cli_error("unknown command \"%s\" for \"pipelock\"", cmd);
}

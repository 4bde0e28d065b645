#include "runtime/container/hooks.h"
#include "runtime/container/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"

extern char **environ;

char *hooks_state_json(const cJSON *config, const char *id, const char *status, int pid,
                       const char *bundle)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "ociVersion", "1.0.2-dev");
  cJSON_AddStringToObject(o, "id", id);
  cJSON_AddStringToObject(o, "status", status);
  if (pid > 0)
    cJSON_AddNumberToObject(o, "pid", pid);
  cJSON_AddStringToObject(o, "bundle", bundle);
  const cJSON *ann = cJSON_GetObjectItemCaseSensitive(config, "annotations");
  if (cJSON_IsObject(ann))
    cJSON_AddItemToObject(o, "annotations", cJSON_Duplicate(ann, 1));
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (s == NULL)
    abort();
  return s;
}

static char **string_array(const cJSON *arr, const char *fallback0)
{
  int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
  char **v = calloc((size_t)n + 2, sizeof(char *));
  if (v == NULL)
    abort();
  int k = 0;
  const cJSON *e;
  if (n > 0) {
    cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e)) v[k++] = e->valuestring;
  }
  if (k == 0 && fallback0)
    v[k++] = (char *)fallback0;
  v[k] = NULL;
  return v;
}

struct capture {
  char *buf;
  size_t len, cap;
};

static void capture_read(int fd, struct capture *c, int *open_flag)
{
  char tmp[4096];
  ssize_t r = read(fd, tmp, sizeof(tmp));
  if (r <= 0) {
    if (r == 0 || (errno != EINTR && errno != EAGAIN))
      *open_flag = 0;
    return;
  }
  if (c->len + (size_t)r + 1 > c->cap) {
    c->cap = (c->len + (size_t)r + 1) * 2;
    c->buf = realloc(c->buf, c->cap);
    if (c->buf == NULL)
      abort();
  }
  if (c->len < 65536) { /* keep the first 64k for the message */
    memcpy(c->buf + c->len, tmp, (size_t)r);
    c->len += (size_t)r;
  }
  c->buf[c->len] = '\0';
}

static int run_one(const cJSON *hook, int index, const char *state, bottle_error_t *err)
{
  const char *path = json_str(hook, "path", NULL);
  if (path == NULL || *path == '\0')
    return berr(err, 0, "hook #%d: \"path\" is required", index);
  cleanup_free char **argv = string_array(cJSON_GetObjectItemCaseSensitive(hook, "args"), path);
  const cJSON *envj = cJSON_GetObjectItemCaseSensitive(hook, "env");
  cleanup_free char **envp = cJSON_IsArray(envj) ? string_array(envj, NULL) : NULL;
  long timeout = json_int(hook, "timeout", 0);

  int in[2], out[2], errp[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return berr(err, errno, "hook #%d: pipe", index);
  if (pipe2(out, O_CLOEXEC) < 0) {
    close(in[0]);
    close(in[1]);
    return berr(err, errno, "hook #%d: pipe", index);
  }
  if (pipe2(errp, O_CLOEXEC) < 0) {
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    return berr(err, errno, "hook #%d: pipe", index);
  }
  pid_t pid = fork();
  if (pid < 0)
    return berr(err, errno, "hook #%d: fork", index);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(errp[1], 2);
    process_reset_signals();
    close_range(3, ~0U, 0);
    execve(path, argv, envp ? envp : environ);
    dprintf(2, "exec %s: %s", path, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(errp[1]);
  /* The state is small (< pipe buffer); write it and close: the hook reads to EOF. */
  write_all(in[1], state, strlen(state));
  close(in[1]);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  struct capture co = {0}, ce = {0};
  int out_open = 1, err_open = 1;
  long long deadline = timeout > 0 ? monotonic_ms() + timeout * 1000 : -1;
  bool exited = false, timed_out = false;
  while (out_open || err_open) {
    struct pollfd p[3] = {{out_open ? out[0] : -1, POLLIN, 0},
                          {err_open ? errp[0] : -1, POLLIN, 0},
                          {exited ? -1 : pidfd, POLLIN, 0}};
    int wait_ms = -1;
    if (deadline >= 0) {
      wait_ms = (int)(deadline - monotonic_ms());
      if (wait_ms <= 0) {
        timed_out = true;
        break;
      }
    }
    int r = poll(p, 3, wait_ms);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      break;
    if (p[0].revents)
      capture_read(out[0], &co, &out_open);
    if (p[1].revents)
      capture_read(errp[0], &ce, &err_open);
    if (p[2].revents) {
      /* The hook exited; a daemon it left behind may keep the pipes open, so
       * drain what is there and stop. */
      exited = true;
      fcntl(out[0], F_SETFL, O_NONBLOCK);
      fcntl(errp[0], F_SETFL, O_NONBLOCK);
      while (out_open && (capture_read(out[0], &co, &out_open), out_open) && errno != EAGAIN)
        ;
      while (err_open && (capture_read(errp[0], &ce, &err_open), err_open) && errno != EAGAIN)
        ;
      break;
    }
  }
  if (timed_out)
    kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (pidfd >= 0)
    close(pidfd);
  close(out[0]);
  close(errp[0]);
  int rc = 0;
  const char *so = co.buf ? co.buf : "", *se = ce.buf ? ce.buf : "";
  if (timed_out)
    rc = berr(err, 0, "error running hook #%d: timeout after %ld seconds, stdout: %s, stderr: %s",
              index, timeout, so, se);
  else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    rc = berr(err, 0, "error running hook #%d: exit status %d, stdout: %s, stderr: %s", index,
              WEXITSTATUS(status), so, se);
  else if (WIFSIGNALED(status))
    rc = berr(err, 0, "error running hook #%d: signal: %s, stdout: %s, stderr: %s", index,
              strsignal(WTERMSIG(status)), so, se);
  free(co.buf);
  free(ce.buf);
  return rc;
}

int hooks_run(const cJSON *config, const char *kind, const char *state_json, bottle_error_t *err)
{
  const cJSON *list = json_path(config, "hooks");
  list = list ? cJSON_GetObjectItemCaseSensitive(list, kind) : NULL;
  if (!cJSON_IsArray(list))
    return 0;
  int i = 0;
  const cJSON *h;
  cJSON_ArrayForEach(h, list)
  {
    if (run_one(h, i, state_json, err) < 0)
      return berr_wrap(err, "%s hook", kind);
    i++;
  }
  return 0;
}

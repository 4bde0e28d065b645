/* The runtime core's pure parts: runc's liberal flag grammar, ids, signal
 * names, pid files, the log line formats, config validation messages, the
 * sync protocol framing and the OCI state object. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cleanup.h"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"
#include "runtime/lib/log.h"
#include "runtime/container/spec.h"
#include "runtime/container/state.h"
#include "runtime/container/sync.h"
#include "runtime/lib/util.h"
#include "tests/unit/unit.h"

static const struct option opts[] = {
    {"pid-file", required_argument, NULL, 'P'},
    {"bundle", required_argument, NULL, 'b'},
    {"no-subreaper", optional_argument, NULL, 'N'},
    {"detach", optional_argument, NULL, 'd'},
    {NULL, 0, NULL, 0},
};

static void test_normalize_single_dash(void)
{
  char *argv[] = {"run", "-pid-file",     "/p", "-no-subreaper", "-b",
                  "/b",  "-detach=false", "id", "-pid-file",     NULL};
  int argc = 9;
  cli_normalize(argc, argv, opts);
  CHECK_STREQ(argv[1], "--pid-file");
  CHECK_STREQ(argv[2], "/p"); /* a value is never rewritten */
  CHECK_STREQ(argv[3], "--no-subreaper");
  CHECK_STREQ(argv[4], "-b"); /* short options stay */
  CHECK_STREQ(argv[6], "--detach=false");
  CHECK_STREQ(argv[8], "-pid-file"); /* after the first positional: untouched */
  optind = 0;
  const char *pid = NULL, *bundle = NULL;
  bool nosub = false, detach = true;
  int ch;
  while ((ch = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
    if (ch == 'P')
      pid = optarg;
    else if (ch == 'b')
      bundle = optarg;
    else if (ch == 'N')
      nosub = cli_bool(optarg);
    else if (ch == 'd')
      detach = cli_bool(optarg);
  }
  CHECK_STREQ(pid, "/p");
  CHECK_STREQ(bundle, "/b");
  CHECK(nosub);
  CHECK(!detach);
  CHECK_STREQ(argv[optind], "id");
  /* cli_normalize allocates the rewritten words (they live as long as argv) */
  free(argv[1]);
  free(argv[3]);
  free(argv[6]);
}

static void test_normalize_value_looking_like_flag(void)
{
  /* "-detach" is the *value* of --pid-file here and must stay as it is. */
  char *argv[] = {"x", "--pid-file", "-detach", "id", NULL};
  cli_normalize(4, argv, opts);
  CHECK_STREQ(argv[2], "-detach");
}

static void test_bool_and_ids(void)
{
  CHECK(cli_bool(NULL));
  CHECK(cli_bool("true"));
  CHECK(!cli_bool("false"));
  CHECK(!cli_bool("0"));
  CHECK(state_valid_id("abc-DEF_1.2+x"));
  CHECK(!state_valid_id("."));
  CHECK(!state_valid_id(".."));
  CHECK(!state_valid_id("a/b"));
  CHECK(!state_valid_id(""));
  CHECK(!state_valid_id("a b"));
  long ms = 0;
  CHECK(cli_parse_duration_ms("5s", &ms) == 0 && ms == 5000);
  CHECK(cli_parse_duration_ms("250ms", &ms) == 0 && ms == 250);
  CHECK(cli_parse_duration_ms("2", &ms) == 0 && ms == 2000);
  CHECK(cli_parse_duration_ms("x", &ms) < 0);
}

static void test_signals(void)
{
  CHECK(parse_signal("9") == SIGKILL);
  CHECK(parse_signal("15") == SIGTERM);
  CHECK(parse_signal("KILL") == SIGKILL);
  CHECK(parse_signal("SIGKILL") == SIGKILL);
  CHECK(parse_signal("sigterm") == SIGTERM);
  CHECK(parse_signal("hup") == SIGHUP);
  CHECK(parse_signal("RTMIN+1") == SIGRTMIN + 1);
  CHECK(parse_signal("NOPE") == -1);
  CHECK(parse_signal("0") == -1);
  CHECK(parse_signal("65") == -1);
}

static void test_pid_file(void)
{
  char dir[] = "/tmp/test_runtime_core.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  cleanup_free char *path = xasprintf("%s/init.pid", dir);
  bottle_error_t err = {0};
  /* a stale temp file from a crash must not break it */
  cleanup_free char *stale = xasprintf("%s/.init.pid.tmp", dir);
  close(open(stale, O_CREAT | O_WRONLY, 0644));
  CHECK(write_pid_file(path, 12345, &err) == 0);
  cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
  CHECK_STREQ(text, "12345");
  CHECK(access(stale, F_OK) != 0);
  unlink(path);
  rmdir(dir);
  berr_clear(&err);
}

static void test_rfc3339(void)
{
  char buf[64];
  format_rfc3339(buf, sizeof(buf), 1795000000, 860000, true);
  CHECK_STREQ(buf, "2026-11-18T11:06:40.000860000Z");
  format_rfc3339(buf, sizeof(buf), 0, 0, false);
  CHECK_STREQ(buf, "1970-01-01T00:00:00Z");
}

/* The kernel escapes a space, tab, newline and backslash of a mount path as \ooo (one byte, so
 * the first digit is 0-3); nothing else is an escape. */
static void mountinfo_case(const char *in, const char *want)
{
  char buf[64];
  snprintf(buf, sizeof(buf), "%s", in);
  mountinfo_unescape(buf);
  CHECK_STREQ(buf, want);
}

static void test_mountinfo_unescape(void)
{
  mountinfo_case("", "");
  mountinfo_case("/plain/path", "/plain/path");
  mountinfo_case("/a\\040b", "/a b");
  mountinfo_case("/tab\\011x/nl\\012", "/tab\tx/nl\n");
  mountinfo_case("/back\\134slash", "/back\\slash");
  mountinfo_case("\\040\\040", "  ");
  mountinfo_case("/hi\\377", "/hi\377");
  /* Not one byte: cgroup.c's copy turned \400 into a NUL that cut the path short. */
  mountinfo_case("/x\\400y", "/x\\400y");
  mountinfo_case("/x\\777", "/x\\777");
  /* An escaped backslash followed by digits is not decoded twice. */
  mountinfo_case("/a\\134040", "/a\\040");
  /* Short or non-octal sequences stay as they are. */
  mountinfo_case("/end\\04", "/end\\04");
  mountinfo_case("/end\\0", "/end\\0");
  mountinfo_case("/end\\", "/end\\");
  mountinfo_case("/x\\08a", "/x\\08a");
  mountinfo_case("/x\\a040", "/x\\a040");
}

static void test_json_log_line(void)
{
  char path[] = "/tmp/test_runtime_core_log.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  CHECK(log_init(path, "json", false) == 0);
  log_msg(LOG_DEBUG, "hidden without --debug");
  log_msg(LOG_WARNING, "quote \" and newline\n");
  cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
  CHECK(text != NULL && strchr(text, '\n') == text + strlen(text) - 1); /* one line */
  cleanup_cjson cJSON *j = cJSON_Parse(text);
  CHECK(j != NULL);
  CHECK_STREQ(json_str(j, "level", ""), "warning");
  CHECK_STREQ(json_str(j, "msg", ""), "quote \" and newline\n");
  CHECK(strlen(json_str(j, "time", "")) == strlen("2026-11-22T23:24:04Z"));
  unlink(path);
  CHECK(log_init(NULL, "xml", false) < 0);
}

static void test_spec_validation(void)
{
  struct {
    const char *json, *msg;
  } cases[] = {
      {"{}", "process"},
      {"{\"process\":{\"args\":[],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"}}",
       "args must not be empty"},
      {"{\"process\":{\"args\":[\"sh\"],\"cwd\":\"\"},\"root\":{\"path\":\"r\"}}",
       "Cwd property must not be empty"},
      {"{\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\"},\"root\":{\"path\":\"r\"}}",
       "Cwd must be an absolute path"},
      {"{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}", "root.path"},
      {"{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"linux\":{"
       "\"namespaces\":[{\"type\":\"bogus\"}]}}",
       "unknown namespace type \"bogus\""},
      {"{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"linux\":{"
       "\"namespaces\":[{\"type\":\"user\"}]}}",
       "uidMappings"},
      {"{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/"
       "\"},\"root\":{\"path\":\"r\"},\"hostname\":\"h\"}",
       "private UTS namespace"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    cleanup_cjson cJSON *j = cJSON_Parse(cases[i].json);
    bottle_error_t err = {0};
    CHECK(spec_validate(j, &err) < 0);
    CHECK_CONTAINS(err.set ? err.msg : NULL, cases[i].msg);
    berr_clear(&err);
  }
  cleanup_cjson cJSON *ok = spec_template(false);
  bottle_error_t err = {0};
  CHECK(spec_validate(ok, &err) == 0);
  CHECK(spec_new_namespace(ok, "network"));
  CHECK(!spec_has_namespace(ok, "user"));
  cleanup_cjson cJSON *rootless = spec_template(true);
  CHECK(spec_validate(rootless, &err) == 0);
  CHECK(spec_new_namespace(rootless, "user"));
  CHECK(!spec_has_namespace(rootless, "network"));
  berr_clear(&err);
}

/* linux.sysctl: the namespaces' own only, as runc (the init writes them as host root). */
static void test_spec_sysctls(void)
{
  struct {
    const char *namespaces, *sysctl, *msg; /* msg NULL: accepted */
  } cases[] = {
      {"[{\"type\":\"network\"}]", "\"net.ipv4.ip_unprivileged_port_start\":\"80\"", NULL},
      {"[{\"type\":\"network\"}]", "\"net/ipv4/conf/all/rp_filter\":\"1\"", NULL},
      {"[{\"type\":\"ipc\"}]", "\"kernel.shmmax\":\"1\",\"fs.mqueue.msg_max\":\"11\"", NULL},
      {"[{\"type\":\"uts\"}]", "\"kernel.domainname\":\"d\"", NULL},
      {"[{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}]",
       "\"kernel.printk_ratelimit_burst\":\"11\"", "not in a separate kernel namespace"},
      {"[{\"type\":\"network\"}]", "\"kernel.core_pattern\":\"|/x\"",
       "not in a separate kernel namespace"},
      {"[{\"type\":\"network\"}]", "\"vm.overcommit_memory\":\"1\"",
       "not in a separate kernel namespace"},
      {"[]", "\"net.ipv4.ip_forward\":\"1\"", "host's network namespace"},
      {"[{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}]", "\"net.ipv4.ip_forward\":\"1\"",
       "host's network namespace"},
      {"[{\"type\":\"network\"}]", "\"fs.mqueue.msg_max\":\"11\"", "host's ipc namespace"},
      {"[{\"type\":\"network\"}]", "\"kernel.sem\":\"1 2 3 4\"", "host's ipc namespace"},
      {"[{\"type\":\"uts\"}]", "\"kernel.hostname\":\"h\"", "conflicts with the OCI"},
      {"[]", "\"kernel.domainname\":\"d\"", "not in a separate kernel namespace"},
      {"[{\"type\":\"network\"}]", "\"net/../kernel/printk_ratelimit_burst\":\"1\"",
       "not a sysctl name"},
      {"[{\"type\":\"network\"}]", "\"net.ipv4.\":\"1\"", "not a sysctl name"},
      {"[{\"type\":\"network\"}]", "\"net.ipv4.ip_forward\":1", "must be a string"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    char json[512];
    snprintf(json, sizeof(json),
             "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
             "\"linux\":{\"namespaces\":%s,\"sysctl\":{%s}}}",
             cases[i].namespaces, cases[i].sysctl);
    cleanup_cjson cJSON *j = cJSON_Parse(json);
    CHECK(j != NULL);
    bottle_error_t err = {0};
    if (cases[i].msg == NULL) {
      CHECK(spec_validate(j, &err) == 0);
    } else {
      CHECK(spec_validate(j, &err) < 0);
      CHECK_CONTAINS(err.set ? err.msg : NULL, cases[i].msg);
    }
    berr_clear(&err);
  }
}

static void test_sync_framing(void)
{
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
  CHECK(sync_send(sv[0], SYNC_ERROR, "exec: \"x\": not found") == 0);
  CHECK(sync_send(sv[0], SYNC_GO, NULL) == 0);
  enum sync_type t;
  char *text = NULL;
  CHECK(sync_recv(sv[1], &t, &text) == 0 && t == SYNC_ERROR);
  CHECK_STREQ(text, "exec: \"x\": not found");
  free(text);
  CHECK(sync_recv(sv[1], &t, &text) == 0 && t == SYNC_GO && text == NULL);
  close(sv[0]);
  CHECK(sync_recv(sv[1], &t, &text) == 0 && t == SYNC_EOF);
  close(sv[1]);
}

static void test_state_object(void)
{
  struct container c = {.id = "bt1",
                        .pid = 42,
                        .bundle = "/b",
                        .rootfs = "/b/rootfs",
                        .created = "2026-11-22T23:15:26.86175055Z",
                        .dirfd = -1};
  c.config = cJSON_Parse("{\"annotations\":{\"foo\":\"bar\"}}");
  cleanup_cjson cJSON *j = container_state_json(&c, STATUS_STOPPED, "");
  CHECK(json_int(j, "pid", -1) == 0); /* pid is 0 when stopped */
  CHECK_STREQ(json_str(j, "status", ""), "stopped");
  CHECK_STREQ(json_str(j, "ociVersion", ""), "1.0.2-dev");
  CHECK_STREQ(json_str(json_path(j, "annotations"), "foo", ""), "bar");
  CHECK_STREQ(json_str(j, "owner", "x"), "");
  cleanup_cjson cJSON *r = container_state_json(&c, STATUS_RUNNING, "root");
  CHECK(json_int(r, "pid", -1) == 42);
  cJSON_Delete(c.config);
}

int main(void)
{
  RUN(test_normalize_single_dash);
  RUN(test_normalize_value_looking_like_flag);
  RUN(test_bool_and_ids);
  RUN(test_signals);
  RUN(test_pid_file);
  RUN(test_rfc3339);
  RUN(test_mountinfo_unescape);
  RUN(test_json_log_line);
  RUN(test_spec_validation);
  RUN(test_spec_sysctls);
  RUN(test_sync_framing);
  RUN(test_state_object);
  return unit_finish();
}

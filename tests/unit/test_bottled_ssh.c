/* runtime/bottle/bottled_ssh.c: what a policy with SSH targets adds to an agent's spec (the
 * helper's private copy and read-only mount, GIT_SSH_COMMAND and BOTTLE_PROXY, the ssh config
 * snippet only when the rootfs really has /etc/ssh/ssh_config.d) and what it leaves alone (no
 * targets, no helper). Temporary directories only; no root needed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/bottle/bottled_ssh.h"
#include "runtime/lib/cleanup.h"
#include "runtime/lib/util.h"
#include "tests/unit/unit.h"

static char top[] = "/tmp/test-bottled-ssh.XXXXXX";

static struct cfg_ssh_target targets[] = {
    {.host = "forge", .hostname = "example.test", .port = 2222, .user = "git"},
    {.host = "10.0.0.5", .hostname = "10.0.0.5", .hostname_is_ipv4 = true, .port = 22},
};

static cJSON *spec_for(const char *rootfs)
{
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "root"), "path", rootfs);
  cJSON_AddArrayToObject(c, "mounts");
  return c;
}

static char *fresh_dir(const char *name)
{
  char *d = xasprintf("%s/%s", top, name);
  CHECK(mkdir_p(d, 0700) == 0);
  return d;
}

static const cJSON *mount_at(const cJSON *config, const char *dst)
{
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(config, "mounts"))
  {
    if (strcmp(json_str(m, "destination", ""), dst) == 0)
      return m;
  }
  return NULL;
}

static char *joined_options(const cJSON *m)
{
  char *s = xstrdup("");
  const cJSON *o;
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(m, "options"))
  {
    char *n = xasprintf("%s%s%s", s, *s ? "," : "", o->valuestring);
    free(s);
    s = n;
  }
  return s;
}

static const char *env_value(const cJSON *env, const char *key)
{
  size_t k = strlen(key);
  const cJSON *e;
  cJSON_ArrayForEach(e, env)
  {
    if (strncmp(e->valuestring, key, k) == 0 && e->valuestring[k] == '=')
      return e->valuestring + k + 1;
  }
  return NULL;
}

static void test_no_targets_change_nothing(void)
{
  cleanup_free char *dir = fresh_dir("none");
  cleanup_free char *rootfs = fresh_dir("none-rootfs");
  struct bottle_policy pol = {0};
  cleanup_cjson cJSON *config = spec_for(rootfs);
  cleanup_cjson cJSON *env = cJSON_CreateArray();
  bottle_error_t err = {0};
  CHECK(bottled_ssh_setup(dir, &pol, "10.231.0.1", 8888, config, env, &err) == 0);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(config, "mounts")) == 0);
  CHECK(cJSON_GetArraySize(env) == 0);
  cleanup_free char *copy = xasprintf("%s/bottle-connect", dir);
  CHECK(access(copy, F_OK) != 0);
}

static void test_targets_with_ssh_config_dir(void)
{
  cleanup_free char *dir = fresh_dir("with");
  cleanup_free char *rootfs = fresh_dir("with-rootfs");
  cleanup_free char *confdir = xasprintf("%s/etc/ssh/ssh_config.d", rootfs);
  CHECK(mkdir_p(confdir, 0755) == 0);
  struct bottle_policy pol = {.profile = "git", .ssh = targets, .n_ssh = 2};
  cleanup_cjson cJSON *config = spec_for(rootfs);
  cleanup_cjson cJSON *env = cJSON_CreateArray();
  bottle_error_t err = {0};
  CHECK(bottled_ssh_setup(dir, &pol, "10.231.0.1", 8888, config, env, &err) == 0);

  cleanup_free char *copy = xasprintf("%s/bottle-connect", dir);
  cleanup_free char *bytes = read_file_at(AT_FDCWD, copy, NULL);
  CHECK_STREQ(bytes, "#!/bin/sh\necho fake helper\n");
  struct stat st;
  CHECK(stat(copy, &st) == 0 && (st.st_mode & 07777) == 0555);

  const cJSON *m = mount_at(config, BOTTLED_SSH_HELPER);
  CHECK(m != NULL);
  CHECK_STREQ(json_str(m, "source", NULL), copy);
  CHECK_STREQ(json_str(m, "type", NULL), "bind");
  cleanup_free char *opts = joined_options(m);
  CHECK_STREQ(opts, "bind,ro,nosuid,nodev");

  CHECK_STREQ(env_value(env, "BOTTLE_PROXY"), "10.231.0.1:8888");
  CHECK_STREQ(env_value(env, "GIT_SSH_COMMAND"),
              "ssh -o ProxyCommand='/.bottle/bottle-connect -p 10.231.0.1:8888 %h %p'");

  const cJSON *c = mount_at(config, BOTTLED_SSH_CONFIG);
  CHECK(c != NULL);
  cleanup_free char *copts = joined_options(c);
  CHECK_STREQ(copts, "bind,ro,nosuid,nodev");
  cleanup_free char *text = read_file_at(AT_FDCWD, json_str(c, "source", ""), NULL);
  CHECK_CONTAINS(text, "\nHost forge example.test\n  HostName example.test\n  Port 2222\n"
                       "  User git\n  ProxyCommand /.bottle/bottle-connect -p 10.231.0.1:8888 %h "
                       "%p\n  ServerAliveInterval 300\n");
  /* alias == Hostname: listed once; no User line without a User */
  CHECK_CONTAINS(text, "\nHost 10.0.0.5\n  HostName 10.0.0.5\n  Port 22\n  ProxyCommand ");
  CHECK(strstr(text, "Host 10.0.0.5\n  HostName 10.0.0.5\n  Port 22\n  User") == NULL);
}

/* /etc/ssh in the image is a symlink to an absolute path that exists on the host but not in the
 * rootfs: resolved inside the rootfs, the directory is not there. */
static void test_symlink_out_of_rootfs_is_not_followed(void)
{
  cleanup_free char *dir = fresh_dir("sym");
  cleanup_free char *rootfs = fresh_dir("sym-rootfs");
  cleanup_free char *hostdir = fresh_dir("host-ssh/ssh_config.d");
  cleanup_free char *etc = xasprintf("%s/etc", rootfs);
  CHECK(mkdir_p(etc, 0755) == 0);
  cleanup_free char *link = xasprintf("%s/ssh", etc);
  cleanup_free char *target = xasprintf("%s/host-ssh", top);
  CHECK(symlink(target, link) == 0);
  struct bottle_policy pol = {.ssh = targets, .n_ssh = 1};
  cleanup_cjson cJSON *config = spec_for(rootfs);
  cleanup_cjson cJSON *env = cJSON_CreateArray();
  bottle_error_t err = {0};
  CHECK(bottled_ssh_setup(dir, &pol, "10.231.0.5", 8888, config, env, &err) == 0);
  CHECK(mount_at(config, BOTTLED_SSH_HELPER) != NULL);
  CHECK(mount_at(config, BOTTLED_SSH_CONFIG) == NULL);
  CHECK(env_value(env, "GIT_SSH_COMMAND") != NULL);
}

static void test_missing_helper_is_not_an_error(void)
{
  cleanup_free char *dir = fresh_dir("nohelper");
  cleanup_free char *rootfs = fresh_dir("nohelper-rootfs");
  cleanup_free char *missing = xasprintf("%s/no-such-helper", top);
  setenv(BOTTLED_SSH_HELPER_ENV, missing, 1);
  struct bottle_policy pol = {.ssh = targets, .n_ssh = 2};
  cleanup_cjson cJSON *config = spec_for(rootfs);
  cleanup_cjson cJSON *env = cJSON_CreateArray();
  bottle_error_t err = {0};
  CHECK(bottled_ssh_setup(dir, &pol, "10.231.0.1", 8888, config, env, &err) == 0);
  CHECK(!err.set);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(config, "mounts")) == 0);
  CHECK(cJSON_GetArraySize(env) == 0);
}

int main(void)
{
  if (mkdtemp(top) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  cleanup_free char *helper = xasprintf("%s/helper", top);
  FILE *f = fopen(helper, "w");
  fputs("#!/bin/sh\necho fake helper\n", f);
  fclose(f);
  setenv(BOTTLED_SSH_HELPER_ENV, helper, 1);
  RUN(test_no_targets_change_nothing);
  RUN(test_targets_with_ssh_config_dir);
  RUN(test_symlink_out_of_rootfs_is_not_followed);
  RUN(test_missing_helper_is_not_an_error);
  rm_rf(top);
  return unit_finish();
}

#include <stdio.h>
#include <stdlib.h>
#include <cJSON.h>

#include "runtime/cli/verbs.h"

/* What `features` advertises must be true: the recursive mount attributes (rro and the rest of
 * rootfs/mount_options.c's table; Docker 25+ and containerd 2.x's CRI use rro only when listed),
 * no idmap (not implemented). */
static const char features_json[] =
    "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.0.2-dev\","
    "\"hooks\":[\"prestart\",\"createRuntime\",\"createContainer\",\"startContainer\","
    "\"poststart\",\"poststop\"],"
    "\"mountOptions\":[\"async\",\"atime\",\"bind\",\"defaults\",\"dev\",\"diratime\",\"dirsync\","
    "\"exec\",\"iversion\",\"lazytime\",\"loud\",\"mand\",\"noatime\",\"nodev\",\"nodiratime\","
    "\"noexec\",\"noiversion\",\"nolazytime\",\"nomand\",\"norelatime\",\"nostrictatime\","
    "\"nosuid\",\"nosymfollow\",\"private\",\"rbind\",\"rdev\",\"rdiratime\",\"relatime\","
    "\"remount\",\"rexec\",\"rnoatime\",\"rnodev\",\"rnodiratime\",\"rnoexec\",\"rnosuid\","
    "\"rnosymfollow\",\"ro\",\"rprivate\",\"rrelatime\",\"rro\",\"rrw\",\"rshared\",\"rslave\","
    "\"rstrictatime\",\"rsuid\",\"rsymfollow\",\"runbindable\",\"rw\",\"shared\",\"silent\","
    "\"slave\","
    "\"strictatime\",\"suid\",\"symfollow\",\"sync\",\"tmpcopyup\",\"unbindable\"],"
    "\"linux\":{\"namespaces\":[\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\",\"user\","
    "\"uts\"],"
    "\"capabilities\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_DAC_READ_SEARCH\",\"CAP_FOWNER\","
    "\"CAP_FSETID\",\"CAP_KILL\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETPCAP\","
    "\"CAP_LINUX_IMMUTABLE\",\"CAP_NET_BIND_SERVICE\",\"CAP_NET_BROADCAST\",\"CAP_NET_ADMIN\","
    "\"CAP_NET_RAW\",\"CAP_IPC_LOCK\",\"CAP_IPC_OWNER\",\"CAP_SYS_MODULE\",\"CAP_SYS_RAWIO\","
    "\"CAP_SYS_CHROOT\",\"CAP_SYS_PTRACE\",\"CAP_SYS_PACCT\",\"CAP_SYS_ADMIN\",\"CAP_SYS_BOOT\","
    "\"CAP_SYS_NICE\",\"CAP_SYS_RESOURCE\",\"CAP_SYS_TIME\",\"CAP_SYS_TTY_CONFIG\",\"CAP_MKNOD\","
    "\"CAP_LEASE\",\"CAP_AUDIT_WRITE\",\"CAP_AUDIT_CONTROL\",\"CAP_SETFCAP\",\"CAP_MAC_OVERRIDE\","
    "\"CAP_MAC_ADMIN\",\"CAP_SYSLOG\",\"CAP_WAKE_ALARM\",\"CAP_BLOCK_SUSPEND\",\"CAP_AUDIT_READ\","
    "\"CAP_PERFMON\",\"CAP_BPF\",\"CAP_CHECKPOINT_RESTORE\"],"
    "\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false,\"systemdUser\":false},"
    "\"seccomp\":{\"enabled\":true,\"actions\":[\"SCMP_ACT_ALLOW\",\"SCMP_ACT_ERRNO\","
    "\"SCMP_ACT_KILL\",\"SCMP_ACT_KILL_PROCESS\",\"SCMP_ACT_KILL_THREAD\",\"SCMP_ACT_LOG\","
    "\"SCMP_ACT_TRACE\",\"SCMP_ACT_TRAP\"],\"operators\":[\"SCMP_CMP_EQ\",\"SCMP_CMP_GE\","
    "\"SCMP_CMP_GT\",\"SCMP_CMP_LE\",\"SCMP_CMP_LT\",\"SCMP_CMP_MASKED_EQ\",\"SCMP_CMP_NE\"],"
    "\"archs\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X32\"]},"
    "\"apparmor\":{\"enabled\":true},\"selinux\":{\"enabled\":true}},"
    "\"annotations\":{\"org.opencontainers.runc.checkpoint.enabled\":\"false\"}}";

int verb_features(struct globals *g, int argc, char **argv)
{
  (void)g;
  (void)argc;
  (void)argv;
  cJSON *j = cJSON_Parse(features_json);
  if (j == NULL)
    abort();
  char *s = cJSON_Print(j);
  printf("%s\n", s);
  free(s);
  cJSON_Delete(j);
  return 0;
}

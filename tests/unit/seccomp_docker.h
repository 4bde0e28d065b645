/* For the unit tests only (test_seccomp.c), moved out of runtime/security/ where nothing called
 * it: Docker's seccomp profile format (profiles/seccomp/default.json) → the OCI linux.seccomp
 * object, the way dockerd 20.10 builds it (setupSeccomp): the archMap entry of the native
 * architecture, and each syscalls[] group kept only when its includes hold and its excludes do
 * not, judged against the process's bounding capabilities, the Go name of the architecture and
 * the running kernel's version. */
#ifndef BOTTLE_TESTS_SECCOMP_DOCKER_H
#define BOTTLE_TESTS_SECCOMP_DOCKER_H

#include <cJSON.h>
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/error.h"

/* The GOARCH Docker compares includes.arches/excludes.arches with. */
static const char *go_arch(uint32_t token)
{
  switch (token) {
  case SCMP_ARCH_X86_64:
    return "amd64";
  case SCMP_ARCH_X86:
    return "386";
  case SCMP_ARCH_AARCH64:
    return "arm64";
  case SCMP_ARCH_ARM:
    return "arm";
  case SCMP_ARCH_PPC64LE:
    return "ppc64le";
  case SCMP_ARCH_PPC64:
    return "ppc64";
  case SCMP_ARCH_S390X:
    return "s390x";
  case SCMP_ARCH_S390:
    return "s390";
  case SCMP_ARCH_MIPS64:
    return "mips64";
  case SCMP_ARCH_MIPSEL64:
    return "mips64le";
  case SCMP_ARCH_RISCV64:
    return "riscv64";
  default:
    return "unknown";
  }
}

static const char *oci_arch(uint32_t token)
{
  switch (token) {
  case SCMP_ARCH_X86_64:
    return "SCMP_ARCH_X86_64";
  case SCMP_ARCH_X86:
    return "SCMP_ARCH_X86";
  case SCMP_ARCH_AARCH64:
    return "SCMP_ARCH_AARCH64";
  case SCMP_ARCH_ARM:
    return "SCMP_ARCH_ARM";
  case SCMP_ARCH_PPC64LE:
    return "SCMP_ARCH_PPC64LE";
  case SCMP_ARCH_PPC64:
    return "SCMP_ARCH_PPC64";
  case SCMP_ARCH_S390X:
    return "SCMP_ARCH_S390X";
  case SCMP_ARCH_S390:
    return "SCMP_ARCH_S390";
  case SCMP_ARCH_MIPS64:
    return "SCMP_ARCH_MIPS64";
  case SCMP_ARCH_MIPSEL64:
    return "SCMP_ARCH_MIPSEL64";
  case SCMP_ARCH_RISCV64:
    return "SCMP_ARCH_RISCV64";
  default:
    return "unknown";
  }
}

static bool string_in(const cJSON *arr, const char *s)
{
  const cJSON *it;
  cJSON_ArrayForEach(it, arr)
  {
    if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
      return true;
  }
  return false;
}

/* "4.8" against the running kernel's "6.1.0-13-amd64": major, then minor. */
static bool kernel_at_least(const char *min)
{
  unsigned want_major = 0, want_minor = 0, major = 0, minor = 0;
  if (sscanf(min, "%u.%u", &want_major, &want_minor) < 1)
    return false;
  struct utsname u;
  if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) < 1)
    return false;
  return major > want_major || (major == want_major && minor >= want_minor);
}

/* Whether the group applies: includes all hold, and no exclude matches. */
static bool group_applies(const cJSON *group, const cJSON *bounding, const char *arch)
{
  const cJSON *inc = cJSON_GetObjectItemCaseSensitive(group, "includes");
  const cJSON *exc = cJSON_GetObjectItemCaseSensitive(group, "excludes");
  const cJSON *it;

  const cJSON *arches = cJSON_GetObjectItemCaseSensitive(exc, "arches");
  if (string_in(arches, arch))
    return false;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(exc, "caps"))
  {
    if (cJSON_IsString(it) && string_in(bounding, it->valuestring))
      return false;
  }

  arches = cJSON_GetObjectItemCaseSensitive(inc, "arches");
  if (cJSON_GetArraySize(arches) > 0 && !string_in(arches, arch))
    return false;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(inc, "caps"))
  {
    if (cJSON_IsString(it) && !string_in(bounding, it->valuestring))
      return false;
  }
  const cJSON *min = cJSON_GetObjectItemCaseSensitive(inc, "minKernel");
  if (cJSON_IsString(min) && min->valuestring[0] != '\0' && !kernel_at_least(min->valuestring))
    return false;
  return true;
}

static int copy_item(cJSON *dst, const cJSON *src, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);
  if (v == NULL || cJSON_IsNull(v))
    return 0;
  cJSON *dup = cJSON_Duplicate(v, true);
  if (dup == NULL || !cJSON_AddItemToObject(dst, key, dup)) {
    cJSON_Delete(dup);
    return -1;
  }
  return 0;
}

static int architectures(const cJSON *profile, uint32_t native, cJSON *out)
{
  const cJSON *map = cJSON_GetObjectItemCaseSensitive(profile, "archMap");
  if (map == NULL)
    return copy_item(out, profile, "architectures");
  cJSON *archs = cJSON_AddArrayToObject(out, "architectures");
  if (archs == NULL)
    return -1;
  const cJSON *entry;
  cJSON_ArrayForEach(entry, map)
  {
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(entry, "architecture");
    if (!cJSON_IsString(arch) || strcmp(arch->valuestring, oci_arch(native)) != 0)
      continue;
    if (!cJSON_AddItemToArray(archs, cJSON_CreateString(arch->valuestring)))
      return -1;
    const cJSON *sub;
    cJSON_ArrayForEach(sub, cJSON_GetObjectItemCaseSensitive(entry, "subArchitectures"))
    {
      if (cJSON_IsString(sub) && !cJSON_AddItemToArray(archs, cJSON_CreateString(sub->valuestring)))
        return -1;
    }
  }
  return 0;
}

/* The OCI linux.seccomp object Docker would send for a process with these capabilities
 * (process.capabilities; its bounding set decides includes.caps), on this machine's architecture
 * and kernel. */
static int seccomp_from_docker_profile(const cJSON *profile, const cJSON *capabilities, cJSON **out,
                                       bottle_error_t *err)
{
  *out = NULL;
  if (!cJSON_IsObject(profile))
    return berr(err, 0, "seccomp profile: must be a JSON object");
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(profile, "defaultAction")))
    return berr(err, 0, "seccomp profile: defaultAction missing");
  const cJSON *bounding = cJSON_GetObjectItemCaseSensitive(capabilities, "bounding");
  uint32_t native = seccomp_arch_native();
  const char *arch = go_arch(native);

  cleanup_cjson cJSON *oci = cJSON_CreateObject();
  if (oci == NULL || copy_item(oci, profile, "defaultAction") < 0 ||
      copy_item(oci, profile, "defaultErrnoRet") < 0 || architectures(profile, native, oci) < 0 ||
      copy_item(oci, profile, "flags") < 0)
    return berr(err, ENOMEM, "seccomp profile");
  cJSON *syscalls = cJSON_AddArrayToObject(oci, "syscalls");
  if (syscalls == NULL)
    return berr(err, ENOMEM, "seccomp profile");

  const cJSON *group;
  size_t n = 0;
  cJSON_ArrayForEach(group, cJSON_GetObjectItemCaseSensitive(profile, "syscalls"))
  {
    if (!cJSON_IsObject(group))
      return berr(err, 0, "seccomp profile: syscalls[%zu] must be an object", n);
    n++;
    if (!group_applies(group, bounding, arch))
      continue;
    cJSON *rule = cJSON_CreateObject();
    if (rule == NULL || !cJSON_AddItemToArray(syscalls, rule))
      return berr(err, ENOMEM, "seccomp profile");
    /* Older profiles spell a single syscall as "name". */
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(group, "name");
    if (cJSON_IsString(name)) {
      cJSON *names = cJSON_AddArrayToObject(rule, "names");
      if (names == NULL || !cJSON_AddItemToArray(names, cJSON_CreateString(name->valuestring)))
        return berr(err, ENOMEM, "seccomp profile");
    } else if (copy_item(rule, group, "names") < 0) {
      return berr(err, ENOMEM, "seccomp profile");
    }
    if (copy_item(rule, group, "action") < 0 || copy_item(rule, group, "errnoRet") < 0 ||
        copy_item(rule, group, "args") < 0)
      return berr(err, ENOMEM, "seccomp profile");
  }
  *out = take_ptr(oci);
  return 0;
}

#endif

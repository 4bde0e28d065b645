/* The five capability sets of the container process, through libcap. */
#include "runtime/security/security.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "runtime/lib/cleanup.h"
#include "runtime/lib/log.h"

/* Caps the running kernel knows: 0..cap_last_cap. libcap reads /proc/sys/kernel/cap_last_cap. */
static cap_value_t kernel_cap_count(void)
{
  return cap_max_bits();
}

/* "CAP_NET_ADMIN" → CAP_NET_ADMIN; false for a name libcap does not know. OCI names are
 * upper case with the CAP_ prefix; libcap's other spellings (numbers, "all") do not count. */
static bool cap_lookup(const char *name, cap_value_t *out)
{
  if (strncmp(name, "CAP_", 4) != 0 || name[4] == '\0' || strlen(name) > 64)
    return false;
  char lower[72];
  size_t i = 0;
  for (; name[i] != '\0'; i++) {
    if (islower((unsigned char)name[i]))
      return false;
    lower[i] = (char)tolower((unsigned char)name[i]);
  }
  lower[i] = '\0';
  if (cap_from_name(lower, out) < 0 || *out < 0)
    return false;
  char *canonical = cap_to_name(*out);
  bool same = canonical != NULL && strcmp(canonical, lower) == 0;
  cap_free(canonical);
  return same;
}

/* Names to warn about, as runc does in one line: "ignoring unknown or unavailable
 * capabilities: [CAP_X CAP_Y]". */
struct ignored_caps {
  char list[512];
  size_t len;
};

static void ignore_cap(struct ignored_caps *ig, const char *name)
{
  if (strstr(ig->list, name) != NULL) /* already listed (same name in several sets) */
    return;
  int n =
      snprintf(ig->list + ig->len, sizeof(ig->list) - ig->len, "%s%s", ig->len ? " " : "", name);
  if (n > 0 && (size_t)n < sizeof(ig->list) - ig->len)
    ig->len += (size_t)n;
}

static int set_array(const cJSON *capabilities, const char *set, const cJSON **out,
                     bottle_error_t *err)
{
  *out = NULL;
  if (capabilities == NULL || cJSON_IsNull(capabilities))
    return 0;
  if (!cJSON_IsObject(capabilities))
    return berr(err, 0, "process.capabilities: must be an object of capability sets");
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(capabilities, set);
  if (arr == NULL || cJSON_IsNull(arr))
    return 0;
  if (!cJSON_IsArray(arr))
    return berr(err, 0, "process.capabilities.%s: must be an array of names like \"CAP_KILL\"",
                set);
  const cJSON *it;
  cJSON_ArrayForEach(it, arr)
  {
    if (!cJSON_IsString(it))
      return berr(err, 0, "process.capabilities.%s: entries must be strings like \"CAP_KILL\"",
                  set);
  }
  *out = arr;
  return 0;
}

/* Sets bit n of *mask for every capability of the set the kernel knows. Unknown names, and
 * names the running kernel does not know, are skipped and collected in ig (runc warns and goes
 * on). */
static int set_mask(const cJSON *capabilities, const char *set, unsigned long long *mask,
                    struct ignored_caps *ig, bottle_error_t *err)
{
  *mask = 0;
  const cJSON *arr;
  if (set_array(capabilities, set, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  cap_value_t known = kernel_cap_count();
  const cJSON *it;
  cJSON_ArrayForEach(it, arr)
  {
    cap_value_t v;
    if (!cap_lookup(it->valuestring, &v)) {
      ignore_cap(ig, it->valuestring);
      continue;
    }
    if (v >= known || v >= 64) {
      log_msg(LOG_DEBUG, "capability %s in %s is unknown to the running kernel", it->valuestring,
              set);
      ignore_cap(ig, it->valuestring);
      continue;
    }
    *mask |= 1ULL << v;
  }
  return 0;
}

int caps_drop_bounding(const cJSON *capabilities, bottle_error_t *err)
{
  unsigned long long keep;
  struct ignored_caps ig = {0};
  if (set_mask(capabilities, "bounding", &keep, &ig, err) < 0)
    return -1;
  cap_value_t known = kernel_cap_count();
  for (cap_value_t c = 0; c < known && c < 64; c++) {
    if (keep & (1ULL << c))
      continue;
    if (cap_drop_bound(c) < 0) {
      int e = errno;
      char *name = cap_to_name(c);
      berr(err, e, "capabilities: drop %s from the bounding set", name ? name : "?");
      cap_free(name);
      return -1;
    }
  }
  return 0;
}

static int add_flags(cap_t caps, cap_flag_t flag, unsigned long long mask, bottle_error_t *err)
{
  for (cap_value_t c = 0; c < 64; c++) {
    if (!(mask & (1ULL << c)))
      continue;
    cap_value_t v = c;
    if (cap_set_flag(caps, flag, 1, &v, CAP_SET) < 0)
      return berr(err, errno, "capabilities: set flag for capability %d", (int)c);
  }
  return 0;
}

static void cleanup_capp(cap_t *c)
{
  if (*c != NULL)
    cap_free(*c);
}

int caps_apply(const cJSON *capabilities, bottle_error_t *err)
{
  unsigned long long eff, perm, inh, amb;
  unsigned long long bounding_only_for_the_warning;
  struct ignored_caps ig = {0};
  if (set_mask(capabilities, "bounding", &bounding_only_for_the_warning, &ig, err) < 0 ||
      set_mask(capabilities, "effective", &eff, &ig, err) < 0 ||
      set_mask(capabilities, "permitted", &perm, &ig, err) < 0 ||
      set_mask(capabilities, "inheritable", &inh, &ig, err) < 0 ||
      set_mask(capabilities, "ambient", &amb, &ig, err) < 0)
    return -1;
  /* One warning for all five sets, worded as runc's. */
  if (ig.len > 0)
    log_msg(LOG_WARNING, "ignoring unknown or unavailable capabilities: [%s]", ig.list);

  __attribute__((cleanup(cleanup_capp))) cap_t caps = cap_init();
  if (caps == NULL)
    return berr(err, errno, "capabilities: cap_init");
  if (add_flags(caps, CAP_EFFECTIVE, eff, err) < 0 ||
      add_flags(caps, CAP_PERMITTED, perm, err) < 0 ||
      add_flags(caps, CAP_INHERITABLE, inh, err) < 0)
    return -1;
  if (cap_set_proc(caps) < 0) {
    int e = errno;
    if (e == EPERM && (eff & ~perm) != 0)
      return berr(err, e,
                  "capabilities: capset (process.capabilities.effective must be a subset of "
                  "permitted)");
    return berr(err, e, "capabilities: capset");
  }

  /* The ambient set may be absent on old kernels; nothing to do then unless asked. */
  if (!CAP_AMBIENT_SUPPORTED()) {
    if (amb != 0)
      return berr(err, EINVAL,
                  "process.capabilities.ambient: this kernel has no ambient capabilities");
    return 0;
  }
  if (cap_reset_ambient() < 0)
    return berr(err, errno, "capabilities: clear the ambient set");
  for (cap_value_t c = 0; c < 64; c++) {
    if (!(amb & (1ULL << c)))
      continue;
    /* runc 1.1.5 ignores a failed raise (e.g. `runc spec` lists ambient caps but no
     * inheritable ones, so the kernel refuses them): the process simply has fewer
     * capabilities. */
    if (cap_set_ambient(c, CAP_SET) < 0) {
      int e = errno;
      char *name = cap_to_name(c);
      log_msg(LOG_DEBUG,
              "process.capabilities.ambient: cannot raise %s (%s); it must also be in "
              "permitted and inheritable",
              name ? name : "?", strerror(e));
      cap_free(name);
    }
  }
  return 0;
}

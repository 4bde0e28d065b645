/* libFuzzer target: the allowlist entry validator. Accepted entries must be normalised,
 * idempotent, made only of allowed characters, and survive the YAML round trip unchanged. */
#include <stddef.h>
#include <stdint.h>

#include "config/hostlist.h"
#include "config/ipv4.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char out[CFG_HOST_MAX + 1];
  enum cfg_host_kind kind;
  const char *why = NULL;
  if (host_normalize((const char *)data, size, out, &kind, &why) < 0) {
    FUZZ_ASSERT(why != NULL && why[0] != '\0');
  } else {
    size_t len = strlen(out);
    FUZZ_ASSERT(len > 0 && len <= CFG_HOST_MAX && out[len - 1] != '.');
    FUZZ_ASSERT(strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789-_.*") == len);
    FUZZ_ASSERT(strchr(out + (kind == CFG_HOST_WILDCARD ? 2 : 0), '*') == NULL);
    FUZZ_ASSERT(strstr(out, "..") == NULL && out[0] != '.');
    char again[CFG_HOST_MAX + 1];
    enum cfg_host_kind kind2;
    FUZZ_ASSERT(host_normalize(out, len, again, &kind2, &why) == 0);
    FUZZ_ASSERT(strcmp(again, out) == 0 && kind2 == kind);
    uint32_t addr;
    FUZZ_ASSERT((kind == CFG_HOST_IPV4) == (ipv4_parse(out, len, &addr) == 0));
    struct bottle_policy pol = {0};
    FUZZ_ASSERT(strlist_add(&pol.allowlist, out) == 0);
    fuzz_check_yaml(&pol);
    strlist_free(&pol.allowlist);
  }

  /* The same bytes as a comma-separated annotation value. */
  char *text = malloc(size + 1);
  FUZZ_ASSERT(text != NULL);
  memcpy(text, data, size);
  text[size] = '\0';
  struct cfg_strlist list = {0};
  bottle_error_t err = {0};
  if (hostlist_add_csv(&list, text, "fuzz", &err) == 0)
    fuzz_check_hostlist(&list);
  else
    fuzz_check_error(&err);
  strlist_free(&list);
  free(text);
  return 0;
}

/* The sidecar's argv: the configured template with the listen address filled in. */
#include "config/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *substitute(const char *arg, const char *listen, const char *ip, const char *port)
{
  static const struct {
    const char *name;
    int which;
  } placeholders[] = {{"{listen}", 0}, {"{ip}", 1}, {"{port}", 2}};
  const char *values[] = {listen, ip, port};
  size_t size = 1;
  for (int pass = 0; pass < 2; pass++) {
    char *out = pass ? malloc(size) : NULL;
    if (pass && out == NULL)
      return NULL;
    size_t used = 0;
    for (const char *p = arg; *p;) {
      const char *value = NULL;
      size_t skip = 1;
      for (size_t i = 0; i < 3 && value == NULL; i++) {
        size_t n = strlen(placeholders[i].name);
        if (strncmp(p, placeholders[i].name, n) == 0) {
          value = values[placeholders[i].which];
          skip = n;
        }
      }
      size_t add = value ? strlen(value) : 1;
      if (out)
        memcpy(out + used, value ? value : p, add);
      used += add;
      p += skip;
    }
    if (out) {
      out[used] = '\0';
      return out;
    }
    size = used + 1;
  }
  return NULL;
}

char **cfg_sidecar_argv(const struct bottle_config *cfg, const char *listen_ip, unsigned port,
                        bottle_error_t *err)
{
  berr_clear(err);
  uint32_t addr;
  char shown[128];
  if (listen_ip == NULL || ipv4_parse(listen_ip, strlen(listen_ip), &addr) < 0) {
    berr(err, 0, "sidecar argv: listen address %s is not a canonical IPv4 address",
         listen_ip ? cfg_quote(listen_ip, strlen(listen_ip), shown, sizeof(shown)) : "NULL");
    return NULL;
  }
  if (port == 0 || port > 65535) {
    berr(err, 0, "sidecar argv: listen port %u is out of range 1-65535", port);
    return NULL;
  }
  char port_text[8], listen[CFG_IPV4_STRLEN + 8];
  snprintf(port_text, sizeof(port_text), "%u", port);
  snprintf(listen, sizeof(listen), "%s:%u", listen_ip, port);
  char **argv = calloc(cfg->n_sidecar_args + 1, sizeof(*argv));
  if (argv == NULL) {
    berr(err, 0, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < cfg->n_sidecar_args; i++)
    if ((argv[i] = substitute(cfg->sidecar_args[i], listen, listen_ip, port_text)) == NULL) {
      cfg_argv_free(argv);
      berr(err, 0, "out of memory");
      return NULL;
    }
  return argv;
}

void cfg_argv_free(char **argv)
{
  for (size_t i = 0; argv && argv[i]; i++)
    free(argv[i]);
  free(argv);
}

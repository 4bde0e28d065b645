#include "tests/pipelock-double/dlp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/pipelock-double/cleanup.h"
#include "tests/pipelock-double/entropy.h"

extern char **environ;

struct secret {
  char *forms[5]; /* raw, base64, base64url, hex, base32: lowercase, unpadded */
  const char *reason;
};

static struct secret *secrets;
static size_t n_secrets;

/* scanner.go:1709-1772 skips well-known, non-secret variables. */
static bool skipped_name(const char *name, size_t len)
{
  static const char *const exact[] = {
      "PWD",  "OLDPWD",  "PATH",  "HOME", "HOSTNAME", "LANG",      "LANGUAGE", "TERM",      "SHELL",
      "USER", "LOGNAME", "SHLVL", "MAIL", "TZ",       "LS_COLORS", "_",        "COLORTERM", NULL};
  static const char *const prefixes[] = {"LC_", "XDG_", "PIPELOCK_DOUBLE_", NULL};
  for (const char *const *e = exact; *e; e++)
    if (strlen(*e) == len && strncmp(name, *e, len) == 0)
      return true;
  for (const char *const *pfx = prefixes; *pfx; pfx++)
    if (len >= strlen(*pfx) && strncmp(name, *pfx, strlen(*pfx)) == 0)
      return true;
  return false;
}

static char *encode(const unsigned char *in, size_t n, const char *alphabet, int bits)
{
  size_t cap = n * 8 / (size_t)bits + 2;
  char *out = malloc(cap);
  if (!out)
    return NULL;
  size_t o = 0;
  unsigned long acc = 0;
  int have = 0;
  for (size_t i = 0; i < n; i++) {
    acc = (acc << 8) | in[i];
    have += 8;
    while (have >= bits) {
      have -= bits;
      out[o++] = alphabet[(acc >> have) & ((1u << bits) - 1)];
    }
  }
  if (have > 0)
    out[o++] = alphabet[(acc << (bits - have)) & ((1u << bits) - 1)];
  out[o] = '\0';
  return out;
}

static char *lower_dup(const char *s)
{
  char *d = s ? strdup(s) : NULL;
  for (char *p = d; p && *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return d;
}

static void add_secret(const char *value, const char *reason)
{
  struct secret *arr = realloc(secrets, (n_secrets + 1) * sizeof(*arr));
  if (!arr)
    return;
  secrets = arr;
  struct secret *s = &secrets[n_secrets++];
  const unsigned char *v = (const unsigned char *)value;
  size_t n = strlen(value);
  char *b64 = encode(v, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 6);
  char *b64url =
      encode(v, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 6);
  char *hex = encode(v, n, "0123456789abcdef", 4);
  char *b32 = encode(v, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 5);
  s->forms[0] = lower_dup(value);
  s->forms[1] = lower_dup(b64);
  s->forms[2] = lower_dup(b64url);
  s->forms[3] = lower_dup(hex);
  s->forms[4] = lower_dup(b32);
  s->reason = reason;
  free(b64);
  free(b64url);
  free(hex);
  free(b32);
}

void dlp_init(const struct policy *p)
{
  size_t min = p->min_env_secret_length > 0 ? (size_t)p->min_env_secret_length : 16;
  if (p->scan_env != 0) {
    for (char **e = environ; e && *e; e++) {
      const char *eq = strchr(*e, '=');
      if (!eq || skipped_name(*e, (size_t)(eq - *e)))
        continue;
      const char *value = eq + 1;
      if (strlen(value) >= min && shannon_entropy(value, strlen(value)) > 3.0)
        add_secret(value, "environment variable leak detected");
    }
  }
  if (p->secrets_file && *p->secrets_file) {
    autofclose FILE *f = fopen(p->secrets_file, "re");
    char line[4096];
    while (f && fgets(line, sizeof(line), f)) {
      line[strcspn(line, "\r\n")] = '\0';
      if (strlen(line) >= 8 && line[0] != '#')
        add_secret(line, "secrets file leak detected");
    }
  }
}

const char *dlp_check(const char *url, const char *host)
{
  if (!n_secrets)
    return NULL;
  autofree char *lurl = lower_dup(url);
  autofree char *collapsed = lower_dup(host);
  if (!lurl || !collapsed)
    return NULL;
  size_t j = 0;
  for (size_t i = 0; collapsed[i]; i++)
    if (collapsed[i] != '.')
      collapsed[j++] = collapsed[i];
  collapsed[j] = '\0';
  for (size_t i = 0; i < n_secrets; i++)
    for (int f = 0; f < 5; f++) {
      const char *form = secrets[i].forms[f];
      if (form && strlen(form) >= 8 && (strstr(lurl, form) || strstr(collapsed, form)))
        return secrets[i].reason;
    }
  return NULL;
}

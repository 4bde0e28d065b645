#include "tests/pipelock-double/hostmatch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/pipelock-double/netaddr.h"

static void lower_strip_dot(const char *in, char *out, size_t outlen)
{
  size_t n = 0;
  for (; in[n] && n + 1 < outlen; n++)
    out[n] = (char)tolower((unsigned char)in[n]);
  out[n] = '\0';
  if (n > 0 && out[n - 1] == '.')
    out[n - 1] = '\0';
}

bool host_normalize(const char *raw, char *out, size_t outlen)
{
  size_t len = strlen(raw);
  if (len == 0 || len > 253 + 2 || len + 1 > outlen)
    return false;
  for (const char *p = raw; *p; p++) {
    unsigned char c = (unsigned char)*p;
    /* URL host syntax: no controls, spaces, or delimiters that would end the host. */
    if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}/?#@%", c))
      return false;
  }
  char tmp[260];
  if (raw[0] == '[') {
    if (raw[len - 1] != ']' || len - 2 >= sizeof(tmp))
      return false;
    memcpy(tmp, raw + 1, len - 2);
    tmp[len - 2] = '\0';
    struct ipaddr ip;
    if (!strchr(tmp, ':') || !ipaddr_parse(tmp, &ip))
      return false;
    lower_strip_dot(tmp, out, outlen);
    return true;
  }
  if (strchr(raw, ':') || strchr(raw, '[') || strchr(raw, ']'))
    return false;
  lower_strip_dot(raw, tmp, sizeof(tmp));
  if (!tmp[0])
    return false;
  char canon[16];
  if (ipv4_canonicalize(tmp, canon, sizeof(canon)))
    snprintf(out, outlen, "%s", canon);
  else
    snprintf(out, outlen, "%s", tmp);
  return true;
}

bool host_is_ip(const char *host)
{
  struct ipaddr ip;
  return ipaddr_parse(host, &ip);
}

bool match_domain(const char *pattern, const char *host)
{
  char p[300], h[300];
  lower_strip_dot(pattern, p, sizeof(p));
  lower_strip_dot(host, h, sizeof(h));
  if (host_is_ip(h))
    return strcmp(p, h) == 0;
  if (p[0] == '*' && p[1] == '.') {
    const char *apex = p + 2;
    size_t hl = strlen(h), sl = strlen(p + 1);
    if (strcmp(h, apex) == 0)
      return true;
    return hl > sl && strcmp(h + hl - sl, p + 1) == 0;
  }
  return strcmp(p, h) == 0;
}

bool match_any(const struct strlist *patterns, const char *host)
{
  for (size_t i = 0; i < patterns->n; i++)
    if (match_domain(patterns->items[i], host))
      return true;
  return false;
}

char *normalize_trusted_domain(const char *raw, char *reason, size_t reasonlen)
{
  const char *start = raw;
  while (isspace((unsigned char)*start))
    start++;
  size_t len = strlen(start);
  while (len > 0 && isspace((unsigned char)start[len - 1]))
    len--;
  char *s = strndup(start, len);
  if (!s) {
    snprintf(reason, reasonlen, "out of memory");
    return NULL;
  }
  for (char *c = s; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  len = strlen(s);
  if (len > 0 && s[len - 1] == '.')
    s[--len] = '\0';
  const char *why = NULL;
  const char *body = strncmp(s, "*.", 2) == 0 ? s + 2 : s;
  if (!*s)
    why = "empty entry";
  else if (strstr(s, "://") || strchr(s, '/') || strchr(s, ':'))
    why = "must be a bare host name (no scheme, path, port or IPv6 literal)";
  else if (strcmp(s, "*") == 0)
    why = "a bare \"*\" would trust every host";
  else if (body != s && !strchr(body, '.'))
    why = "a wildcard needs at least two labels after \"*.\"";
  else if (strpbrk(body, "*?[]"))
    why = "wildcards are only allowed as a leading \"*.\"";
  if (why) {
    snprintf(reason, reasonlen, "%s", why);
    free(s);
    return NULL;
  }
  return s;
}

/* The pipelock 2.3.0 config for one bottle, through libyaml's emitter so that no entry can change
 * the document's structure. pipelock rejects unknown keys and retyped scalars, so: only keys from
 * its schema, strings double-quoted, booleans and integers plain, exactly one document, and never
 * "internal" (an empty list there disables the SSRF check), "dlp.action" or "sentry". */
#include "config/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/hostname.h"

/* Tunnel limits when the profile has SSH targets: pipelock's 300 s lifetime and 120 s idle
 * timer would cut an interactive session. */
#define SSH_MAX_TUNNEL_SECONDS 28800
#define SSH_IDLE_TIMEOUT_SECONDS 900

struct out_buf {
  char *data;
  size_t len, cap;
  bool oom;
};

static int write_out(void *opaque, unsigned char *bytes, size_t size)
{
  struct out_buf *out = opaque;
  if (out->len + size + 1 > out->cap) {
    size_t cap = out->cap ? out->cap : 1024;
    while (cap < out->len + size + 1)
      cap *= 2;
    char *data = realloc(out->data, cap);
    if (data == NULL) {
      out->oom = true;
      return 0;
    }
    out->data = data;
    out->cap = cap;
  }
  memcpy(out->data + out->len, bytes, size);
  out->len += size;
  out->data[out->len] = '\0';
  return 1;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev, int initialized)
{
  if (!initialized)
    return -1;
  return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int scalar(yaml_emitter_t *e, const char *value, yaml_scalar_style_t style)
{
  yaml_event_t ev;
  bool plain = style == YAML_PLAIN_SCALAR_STYLE;
  return emit(e, &ev,
              yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)value,
                                           (int)strlen(value), plain, !plain, style));
}

static int key(yaml_emitter_t *e, const char *name)
{
  return scalar(e, name, YAML_PLAIN_SCALAR_STYLE);
}

static int string(yaml_emitter_t *e, const char *value)
{
  return scalar(e, value, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static int key_string(yaml_emitter_t *e, const char *name, const char *value)
{
  return key(e, name) < 0 || string(e, value) < 0 ? -1 : 0;
}

static int key_plain(yaml_emitter_t *e, const char *name, const char *value)
{
  return key(e, name) < 0 || scalar(e, value, YAML_PLAIN_SCALAR_STYLE) < 0 ? -1 : 0;
}

static int key_uint(yaml_emitter_t *e, const char *name, unsigned value)
{
  char text[16];
  snprintf(text, sizeof(text), "%u", value);
  return key_plain(e, name, text);
}

static int map_start(yaml_emitter_t *e)
{
  yaml_event_t ev;
  return emit(e, &ev,
              yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static int map_end(yaml_emitter_t *e)
{
  yaml_event_t ev;
  return emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
}

static int key_strings(yaml_emitter_t *e, const char *name, const struct cfg_strlist *list)
{
  yaml_event_t ev;
  if (key(e, name) < 0 ||
      emit(e, &ev,
           yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE)) < 0)
    return -1;
  for (size_t i = 0; i < list->len; i++)
    if (string(e, list->items[i]) < 0)
      return -1;
  return emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
}

static int emit_document(yaml_emitter_t *e, const struct bottle_policy *pol, const char *listen,
                         const char *metrics)
{
  yaml_event_t ev;
  if (emit(e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING)) < 0 ||
      emit(e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1)) < 0 ||
      map_start(e) < 0)
    return -1;
  if (key_plain(e, "version", "1") < 0 || key_string(e, "mode", "strict") < 0 ||
      key_plain(e, "enforce", "true") < 0 || key_strings(e, "api_allowlist", &pol->allowlist) < 0)
    return -1;
  /* Also given as --listen by the default argv; here too so a custom argv listens right. */
  if (key(e, "fetch_proxy") < 0 || map_start(e) < 0 || key_string(e, "listen", listen) < 0)
    return -1;
  if (pol->max_requests_per_minute > 0 &&
      (key(e, "monitoring") < 0 || map_start(e) < 0 ||
       key_uint(e, "max_requests_per_minute", pol->max_requests_per_minute) < 0 || map_end(e) < 0))
    return -1;
  if (map_end(e) < 0)
    return -1;
  /* Off the proxy listener, which the agent reaches: on the sidecar's own loopback. */
  if (key_string(e, "metrics_listen", metrics) < 0)
    return -1;
  if (key(e, "forward_proxy") < 0 || map_start(e) < 0 || key_plain(e, "enabled", "true") < 0)
    return -1;
  if (pol->n_ssh > 0 && (key_uint(e, "max_tunnel_seconds", SSH_MAX_TUNNEL_SECONDS) < 0 ||
                         key_uint(e, "idle_timeout_seconds", SSH_IDLE_TIMEOUT_SECONDS) < 0))
    return -1;
  if (map_end(e) < 0)
    return -1;
  if (key(e, "dlp") < 0 || map_start(e) < 0 || key_plain(e, "include_defaults", "true") < 0 ||
      key_plain(e, "scan_env", "true") < 0 || map_end(e) < 0)
    return -1;
  if (pol->ssrf_ip_allowlist.len > 0 &&
      (key(e, "ssrf") < 0 || map_start(e) < 0 ||
       key_strings(e, "ip_allowlist", &pol->ssrf_ip_allowlist) < 0 || map_end(e) < 0))
    return -1;
  if (pol->trusted_domains.len > 0 && key_strings(e, "trusted_domains", &pol->trusted_domains) < 0)
    return -1;
  if (map_end(e) < 0 || emit(e, &ev, yaml_document_end_event_initialize(&ev, 1)) < 0 ||
      emit(e, &ev, yaml_stream_end_event_initialize(&ev)) < 0)
    return -1;
  return yaml_emitter_flush(e) ? 0 : -1;
}

/* The policy may have been assembled by hand; nothing unvalidated reaches pipelock. */
static int check_policy(const struct bottle_policy *pol, bottle_error_t *err)
{
  char normal[CFG_HOST_MAX + 1], shown[128];
  enum cfg_host_kind kind;
  const char *why;
  if (pol->allowlist.len == 0)
    return berr(err, 0,
                "pipelock config: api_allowlist is empty; strict mode needs at least one "
                "allowed host");
  for (size_t i = 0; i < pol->allowlist.len; i++) {
    const char *h = pol->allowlist.items[i];
    if (host_normalize(h, strlen(h), normal, &kind, &why) < 0 || strcmp(normal, h) != 0)
      return berr(err, 0, "pipelock config: api_allowlist entry %s is not a normalised host",
                  cfg_quote(h, strlen(h), shown, sizeof(shown)));
  }
  for (size_t i = 0; i < pol->ssrf_ip_allowlist.len; i++) {
    const char *c = pol->ssrf_ip_allowlist.items[i];
    struct cfg_ipv4_net net;
    if (ipv4_net_parse(c, &net, &why) < 0 || net.prefix != 32 || strcmp(net.text, c) != 0)
      return berr(err, 0, "pipelock config: ssrf.ip_allowlist entry %s is not a canonical /32",
                  cfg_quote(c, strlen(c), shown, sizeof(shown)));
  }
  for (size_t i = 0; i < pol->trusted_domains.len; i++) {
    const char *h = pol->trusted_domains.items[i];
    if (host_normalize(h, strlen(h), normal, &kind, &why) < 0 || strcmp(normal, h) != 0 ||
        kind == CFG_HOST_IPV4)
      return berr(err, 0, "pipelock config: trusted_domains entry %s is not a host name",
                  cfg_quote(h, strlen(h), shown, sizeof(shown)));
  }
  return 0;
}

char *cfg_pipelock_yaml(const struct bottle_policy *pol, const char *listen_ip, unsigned port,
                        size_t *len, bottle_error_t *err)
{
  berr_clear(err);
  uint32_t addr;
  char shown[128];
  if (listen_ip == NULL || ipv4_parse(listen_ip, strlen(listen_ip), &addr) < 0) {
    berr(err, 0, "pipelock config: listen address %s is not a canonical IPv4 address",
         listen_ip ? cfg_quote(listen_ip, strlen(listen_ip), shown, sizeof(shown)) : "NULL");
    return NULL;
  }
  if (port == 0 || port > 65535) {
    berr(err, 0, "pipelock config: listen port %u is out of range 1-65535", port);
    return NULL;
  }
  if (check_policy(pol, err) < 0)
    return NULL;
  char listen[CFG_IPV4_STRLEN + 8], metrics[CFG_IPV4_STRLEN + 8];
  snprintf(listen, sizeof(listen), "%s:%u", listen_ip, port);
  uint32_t m = cfg_metrics_ip(addr);
  snprintf(metrics, sizeof(metrics), "127.0.%u.%u:%u", (m >> 8) & 0xff, m & 0xff,
           cfg_metrics_port(port));

  struct out_buf out = {0};
  yaml_emitter_t emitter;
  if (!yaml_emitter_initialize(&emitter)) {
    berr(err, 0, "pipelock config: cannot initialise the YAML emitter");
    return NULL;
  }
  yaml_emitter_set_output(&emitter, write_out, &out);
  yaml_emitter_set_unicode(&emitter, 1);
  yaml_emitter_set_width(&emitter, -1); /* never fold a long host onto two lines */
  yaml_emitter_set_indent(&emitter, 2);
  int rc = emit_document(&emitter, pol, listen, metrics);
  const char *problem = emitter.problem;
  if (rc < 0 || out.oom)
    berr(err, 0, "pipelock config: YAML emitter failed: %s",
         out.oom   ? "out of memory"
         : problem ? problem
                   : "unknown error");
  yaml_emitter_delete(&emitter);
  if (rc < 0 || out.oom) {
    free(out.data);
    return NULL;
  }
  if (len)
    *len = out.len;
  return out.data;
}

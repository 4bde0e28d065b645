#include "netns/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record is "key value" lines. It is rewritten (temp file + rename) before each object
 * is created, so a crash at any point leaves a record naming everything that may exist. */

int nn_record_path(const char *state_dir, const char *name, char *out, size_t len)
{
  int n = snprintf(out, len, "%s/%s.rec", nn_state_dir(state_dir), name);
  return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Field 22 (start time) of /proc/PID/stat and, in *state, field 3; 0 when there is none. */
static unsigned long long proc_stat(long pid, char *state)
{
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return 0;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* comm (field 2) may hold spaces, so count from its closing paren. */
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  *state = p[2];
  for (int field = 2; field < 22 && p; field++)
    p = strchr(p + 1, ' ');
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

unsigned long long nn_proc_start_time(long pid)
{
  char state;
  return proc_stat(pid, &state);
}

bool nn_proc_running(long pid, unsigned long long start)
{
  char state = 'X';
  return pid > 0 && start != 0 && proc_stat(pid, &state) == start && state != 'Z' && state != 'X';
}

int nn_record_write(const char *state_dir, const struct nn_record *rec, bottle_error_t *err)
{
  char path[PATH_MAX], tmp[PATH_MAX + 8];
  if (nn_record_path(state_dir, rec->name, path, sizeof(path)) < 0)
    return berr(err, ENAMETOOLONG, "record path for %s", rec->name);
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *f = fopen(tmp, "we");
  if (f == NULL)
    return berr(err, errno, "write %s", tmp);
  const struct netns_topology *t = &rec->topo;
  char lease[16];
  nn_ip_str(rec->lease.addr, lease);
  fprintf(f,
          "version 1\nname %s\nhash %s\nmode %d\nbuilder_pid %ld\nbuilder_start %llu\n"
          "complete %d\nsidecar_owned %d\nlease_held %d\nlease %s/%d\nproxy_port %u\n"
          "agent_netns %s\nsidecar_netns %s\nagent_ip %s\nsidecar_ip %s\nprefix %d\n"
          "agent_ifname %s\nsidecar_ifname %s\nuplink_host_ifname %s\nuplink_host_ip %s\n"
          "uplink_sidecar_ip %s\nsidecar_ns %llu:%llu\ninbound %d\n",
          rec->name, rec->hash, rec->mode, rec->builder_pid, rec->builder_start, rec->complete,
          rec->sidecar_owned, rec->lease_held, lease, rec->lease.prefix, rec->proxy_port,
          t->agent_netns, t->sidecar_netns, t->agent_ip, t->sidecar_ip, t->prefix, t->agent_ifname,
          t->sidecar_ifname, t->uplink_host_ifname, t->uplink_host_ip, t->uplink_sidecar_ip,
          rec->sidecar_dev, rec->sidecar_ino, t->inbound);
  if (t->proxyless.on) {
    fprintf(f, "proxyless %u %u", t->proxyless.dns_port, t->proxyless.redirect_port);
    for (size_t i = 0; i < t->proxyless.n_ports; i++)
      fprintf(f, " %u", t->proxyless.ports[i]);
    fputc('\n', f);
  }
  if (fclose(f) != 0) {
    int e = errno;
    unlink(tmp);
    return berr(err, e, "write %s", tmp);
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return berr(err, e, "rename %s", tmp);
  }
  return 0;
}

/* "DNS_PORT REDIRECT_PORT PORT...", as nn_record_write puts it */
static void read_proxyless(struct netns_proxyless *p, const char *value)
{
  char *end = NULL;
  unsigned long v[2 + NN_MAX_PROXYLESS_PORTS];
  size_t n = 0;
  for (const char *s = value; n < 2 + NN_MAX_PROXYLESS_PORTS; s = end, n++) {
    v[n] = strtoul(s, &end, 10);
    if (end == s || v[n] == 0 || v[n] > 65535)
      break;
  }
  if (n < 3)
    return; /* unreadable: no proxyless rules expected, and the start gate sees any */
  p->on = true;
  p->dns_port = (uint16_t)v[0];
  p->redirect_port = (uint16_t)v[1];
  p->n_ports = n - 2;
  for (size_t i = 0; i < p->n_ports; i++)
    p->ports[i] = (uint16_t)v[2 + i];
}

static void copy_field(char *dst, size_t len, const char *value)
{
  snprintf(dst, len, "%s", value);
}

int nn_record_read(const char *state_dir, const char *name, struct nn_record *rec,
                   bottle_error_t *err)
{
  char path[PATH_MAX];
  if (nn_record_path(state_dir, name, path, sizeof(path)) < 0)
    return berr(err, ENAMETOOLONG, "record path for %s", name);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return berr(err, errno, "read %s", path);
  memset(rec, 0, sizeof(*rec));
  char line[PATH_MAX + 64];
  struct netns_topology *t = &rec->topo;
  while (fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char *value = strchr(line, ' ');
    value = value ? (*value = '\0', value + 1) : line + strlen(line);
    const char *k = line;
    if (!strcmp(k, "name"))
      copy_field(rec->name, sizeof(rec->name), value);
    else if (!strcmp(k, "hash"))
      copy_field(rec->hash, sizeof(rec->hash), value);
    else if (!strcmp(k, "mode"))
      rec->mode = atoi(value);
    else if (!strcmp(k, "builder_pid"))
      rec->builder_pid = atol(value);
    else if (!strcmp(k, "builder_start"))
      rec->builder_start = strtoull(value, NULL, 10);
    else if (!strcmp(k, "complete"))
      rec->complete = atoi(value) != 0;
    else if (!strcmp(k, "sidecar_owned"))
      rec->sidecar_owned = atoi(value) != 0;
    else if (!strcmp(k, "lease_held"))
      rec->lease_held = atoi(value) != 0;
    else if (!strcmp(k, "lease"))
      nn_cidr_parse(value, &rec->lease);
    else if (!strcmp(k, "proxy_port"))
      rec->proxy_port = (unsigned)atoi(value);
    else if (!strcmp(k, "agent_netns"))
      copy_field(t->agent_netns, sizeof(t->agent_netns), value);
    else if (!strcmp(k, "sidecar_netns"))
      copy_field(t->sidecar_netns, sizeof(t->sidecar_netns), value);
    else if (!strcmp(k, "agent_ip"))
      copy_field(t->agent_ip, sizeof(t->agent_ip), value);
    else if (!strcmp(k, "sidecar_ip"))
      copy_field(t->sidecar_ip, sizeof(t->sidecar_ip), value);
    else if (!strcmp(k, "prefix"))
      t->prefix = atoi(value);
    else if (!strcmp(k, "agent_ifname"))
      copy_field(t->agent_ifname, sizeof(t->agent_ifname), value);
    else if (!strcmp(k, "sidecar_ifname"))
      copy_field(t->sidecar_ifname, sizeof(t->sidecar_ifname), value);
    else if (!strcmp(k, "uplink_host_ifname"))
      copy_field(t->uplink_host_ifname, sizeof(t->uplink_host_ifname), value);
    else if (!strcmp(k, "uplink_host_ip"))
      copy_field(t->uplink_host_ip, sizeof(t->uplink_host_ip), value);
    else if (!strcmp(k, "sidecar_ns"))
      sscanf(value, "%llu:%llu", &rec->sidecar_dev, &rec->sidecar_ino);
    else if (!strcmp(k, "inbound"))
      t->inbound = atoi(value) != 0;
    else if (!strcmp(k, "proxyless"))
      read_proxyless(&t->proxyless, value);
    else if (!strcmp(k, "uplink_sidecar_ip"))
      copy_field(t->uplink_sidecar_ip, sizeof(t->uplink_sidecar_ip), value);
  }
  fclose(f);
  if (strcmp(rec->name, name) != 0)
    return berr(err, EINVAL, "record %s: names '%s', not '%s'", path, rec->name, name);
  return 0;
}

int nn_record_remove(const char *state_dir, const char *name, bottle_error_t *err)
{
  char path[PATH_MAX];
  if (nn_record_path(state_dir, name, path, sizeof(path)) < 0)
    return berr(err, ENAMETOOLONG, "record path for %s", name);
  if (unlink(path) < 0 && errno != ENOENT)
    return berr(err, errno, "remove %s", path);
  /* A replacement its writer never renamed: the writer was killed (a teardown waits for a
   * live builder first, teardown.c). */
  char tmp[PATH_MAX + 8];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  if (unlink(tmp) < 0 && errno != ENOENT)
    return berr(err, errno, "remove %s", tmp);
  return 0;
}

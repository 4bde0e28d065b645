#include "netns/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Moves the calling thread into the netns at path; returns where it was (for nn_leave). */
static int enter_path(const char *path, bottle_error_t *err)
{
  int fd = nn_netns_open(path, err);
  if (fd < 0)
    return -1;
  int saved = nn_enter(fd, err);
  close(fd);
  return saved;
}

int netns_check_agent(const struct netns_topology *t, int *eth_ifindex, bottle_error_t *err)
{
  int saved = enter_path(t->agent_netns, err);
  if (saved < 0)
    return -1;
  struct if_nameindex *ifs = if_nameindex();
  int e = errno;
  nn_leave(saved);
  if (ifs == NULL)
    return berr(err, e, "agent netns: list its links");
  int rc = 0, found = 0;
  for (struct if_nameindex *p = ifs; p->if_index != 0; p++) {
    if (strcmp(p->if_name, "lo") == 0)
      continue;
    if (strcmp(p->if_name, t->agent_ifname) == 0 &&
        (*eth_ifindex == 0 || (int)p->if_index == *eth_ifindex)) {
      found = (int)p->if_index;
      continue;
    }
    rc = berr(err, 0,
              "agent netns: link %s is not bottle's (a hook of the container added or replaced "
              "it), and the sidecar must be the agent's only way out: remove that hook or set "
              "bottle.mode=plain",
              p->if_name);
    err->errnum = EPERM;
    break;
  }
  if_freenameindex(ifs);
  if (rc == 0 && found == 0)
    rc = berr(err, ENODEV, "agent netns: its link %s is gone", t->agent_ifname);
  if (rc == 0)
    *eth_ifindex = found;
  return rc;
}

/* Reads /proc/sys/<key> of the calling thread's netns into out (trimmed). */
static int sysctl_get(const char *key, char *out, size_t len, bottle_error_t *err)
{
  char path[256];
  snprintf(path, sizeof(path), "/proc/sys/%s", key);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berr(err, errno, "read sysctl %s", key);
  ssize_t n = read(fd, out, len - 1);
  int e = errno;
  close(fd);
  if (n < 0)
    return berr(err, e, "read sysctl %s", key);
  out[n] = '\0';
  out[strcspn(out, "\n")] = '\0';
  return 0;
}

/* Each key must read want; else EPERM naming the invariant and the key. */
static int sysctls_are(const char *invariant, const char *const *keys, const char *want,
                       bottle_error_t *err)
{
  for (; *keys != NULL; keys++) {
    char v[32];
    if (sysctl_get(*keys, v, sizeof(v), err) < 0)
      return berr_wrap(err, "%s", invariant);
    if (strcmp(v, want) != 0) {
      char dotted[128];
      snprintf(dotted, sizeof(dotted), "%s", *keys);
      for (char *c = dotted; *c != '\0'; c++)
        if (*c == '/')
          *c = '.';
      berr(err, 0, "%s: %s is %s, not %s", invariant, dotted, v, want);
      err->errnum = EPERM;
      return -1;
    }
  }
  return 0;
}

/* One rtnetlink dump on fd; each(msg, arg) for every answer, stopping at its first -1. */
static int nl_dump(int fd, uint16_t type, unsigned char family,
                   int (*each)(const struct nlmsghdr *, void *), void *arg, bottle_error_t *err)
{
  struct {
    struct nlmsghdr h;
    struct rtmsg r; /* as long as ifaddrmsg, and its family comes first too */
  } req = {.h = {.nlmsg_len = sizeof(req),
                 .nlmsg_type = type,
                 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                 .nlmsg_seq = 1},
           .r = {.rtm_family = family}};
  if (send(fd, &req, sizeof(req), 0) < 0)
    return berr(err, errno, "netlink dump");
  char buf[16384];
  int rc = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0)
      return berr(err, errno, "netlink dump");
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE)
        return rc;
      if (h->nlmsg_type == NLMSG_ERROR)
        return berr(err, -((struct nlmsgerr *)NLMSG_DATA(h))->error, "netlink dump");
      if (rc == 0 && each(h, arg) < 0)
        rc = -1; /* read the dump to its end all the same */
    }
  }
}

struct route_check {
  uint32_t net; /* the agent link's /30, network byte order */
  int prefix, oif;
  bottle_error_t *err;
};

static void addr_text(int family, const void *a, char *out, size_t len)
{
  if (a == NULL || inet_ntop(family, a, out, (socklen_t)len) == NULL)
    snprintf(out, len, "%s", family == AF_INET6 ? "::" : "0.0.0.0");
}

/* Unicast routes are the ones that lead somewhere; local, broadcast, unreachable, blackhole
 * and prohibit routes lead nowhere out of the netns. */
static int check_route(const struct nlmsghdr *h, void *arg)
{
  struct route_check *rc = arg;
  const struct rtmsg *r = NLMSG_DATA(h);
  if (h->nlmsg_type != RTM_NEWROUTE || r->rtm_type != RTN_UNICAST)
    return 0;
  unsigned table = r->rtm_table;
  const void *dst = NULL, *gw = NULL;
  int oif = 0;
  bool multipath = false;
  int len = (int)RTM_PAYLOAD(h);
  for (const struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == RTA_TABLE)
      table = *(const uint32_t *)RTA_DATA(a);
    else if (a->rta_type == RTA_DST)
      dst = RTA_DATA(a);
    else if (a->rta_type == RTA_GATEWAY || a->rta_type == RTA_VIA)
      gw = RTA_DATA(a);
    else if (a->rta_type == RTA_OIF)
      oif = *(const int *)RTA_DATA(a);
    else if (a->rta_type == RTA_MULTIPATH)
      multipath = true;
  }
  if (r->rtm_family == AF_INET && table == RT_TABLE_MAIN && r->rtm_dst_len == rc->prefix &&
      dst != NULL && memcmp(dst, &rc->net, 4) == 0 && gw == NULL && !multipath && oif == rc->oif)
    return 0; /* the link's own connected route */
  char d[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";
  addr_text(r->rtm_family, dst, d, sizeof(d));
  addr_text(r->rtm_family, gw, g, sizeof(g));
  if (oif > 0)
    if_indextoname((unsigned)oif, dev);
  berr(rc->err, 0,
       "agent routes: a route to %s/%d%s%s dev %s (table %u) besides its link's own: the "
       "agent must have no way out but its link to the proxy",
       d, r->rtm_dst_len, gw ? " via " : "", gw ? g : "", dev, table);
  rc->err->errnum = EPERM;
  return -1;
}

static int refuse_addr6(const struct nlmsghdr *h, void *arg)
{
  bottle_error_t *err = arg;
  if (h->nlmsg_type != RTM_NEWADDR)
    return 0;
  const struct ifaddrmsg *a = NLMSG_DATA(h);
  char dev[IF_NAMESIZE] = "?";
  if_indextoname(a->ifa_index, dev);
  berr(err, 0, "agent IPv6: %s has an IPv6 address: IPv6 must be off in the agent netns", dev);
  err->errnum = EPERM;
  return -1;
}

/* In the agent netns (the calling thread is there). */
static int check_agent_inside(const struct netns_topology *t, bottle_error_t *err)
{
  char k_eth[96];
  snprintf(k_eth, sizeof(k_eth), "net/ipv6/conf/%s/disable_ipv6", t->agent_ifname);
  const char *const v6_off[] = {"net/ipv6/conf/all/disable_ipv6",
                                "net/ipv6/conf/default/disable_ipv6", k_eth, NULL};
  if (sysctls_are("agent IPv6", v6_off, "1", err) < 0)
    return -1;
  struct in_addr ip;
  int oif = (int)if_nametoindex(t->agent_ifname);
  if (inet_pton(AF_INET, t->agent_ip, &ip) != 1 || t->prefix < 1 || t->prefix > 32 || oif == 0)
    return berr(err, EINVAL, "agent routes: bottle's link %s (%s/%d)", t->agent_ifname, t->agent_ip,
                t->prefix);
  uint32_t mask = htonl(~0U << (32 - t->prefix));
  struct route_check rc = {.net = ip.s_addr & mask, .prefix = t->prefix, .oif = oif, .err = err};
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return berr(err, errno, "agent netns: netlink socket");
  int r = nl_dump(fd, RTM_GETROUTE, AF_UNSPEC, check_route, &rc, err);
  if (r == 0)
    r = nl_dump(fd, RTM_GETADDR, AF_INET6, refuse_addr6, err, err);
  close(fd);
  return r;
}

/* The bottle's table name: "bottle_" and the hash its link's name carries (btla<hash>). */
static int table_name(const struct netns_topology *t, char *out, size_t len, bottle_error_t *err)
{
  const char *hash = t->sidecar_ifname + 4;
  if (strncmp(t->sidecar_ifname, "btla", 4) != 0 || strlen(hash) != NN_HASH_LEN)
    return berr(err, EINVAL, "sidecar filter: bottle's link %s has no hash", t->sidecar_ifname);
  snprintf(out, len, "bottle_%s", hash);
  return 0;
}

static void normalize_listing(const char *in, char *out, size_t len)
{
  size_t used = 0;
  out[0] = '\0';
  while (*in != '\0') {
    size_t n = strcspn(in, "\n");
    const char *s = in, *e = in + n;
    while (s < e && (*s == ' ' || *s == '\t'))
      s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
      e--;
    /* A named counter's only line: what the agent tried so far, not the boundary. */
    bool counter_value = strncmp(s, "packets ", 8) == 0;
    if (e > s && !counter_value && used + (size_t)(e - s) + 2 < len) {
      memcpy(out + used, s, (size_t)(e - s));
      used += (size_t)(e - s);
      out[used++] = '\n';
      out[used] = '\0';
    }
    in += n + (in[n] == '\n');
  }
}

/* The first line where a and b differ, into out. */
static void first_difference(const char *a, const char *b, char *out, size_t len)
{
  while (*a != '\0' && *b != '\0' && strcspn(a, "\n") == strcspn(b, "\n") &&
         strncmp(a, b, strcspn(a, "\n")) == 0) {
    a += strcspn(a, "\n") + 1;
    b += strcspn(b, "\n") + 1;
  }
  snprintf(out, len, "\"%.*s\" where bottle's has \"%.*s\"", (int)strcspn(a, "\n"), a,
           (int)strcspn(b, "\n"), b);
}

/* In the sidecar netns (the calling thread is there). */
static int check_sidecar_inside(const struct netns_topology *t, unsigned port, bottle_error_t *err)
{
  /* With inbound the bottle's link forwards (the agent's replies come in there), behind the
   * forward chain checked below; without, nothing forwards it. */
  char k_if[96];
  snprintf(k_if, sizeof(k_if), "net/ipv4/conf/%s/forwarding", t->sidecar_ifname);
  const char *const fwd_off[] = {"net/ipv4/ip_forward", "net/ipv4/conf/all/forwarding",
                                 "net/ipv6/conf/all/forwarding", t->inbound ? NULL : k_if, NULL};
  if (sysctls_are("sidecar forwarding", fwd_off, "0", err) < 0)
    return -1;
  char table[32];
  if (table_name(t, table, sizeof(table), err) < 0) {
    err->errnum = EPERM;
    return -1;
  }
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == NULL)
    return berr(err, ENOMEM, "sidecar filter: nftables context");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  int rc = 0;
  char cmd[64];
  snprintf(cmd, sizeof(cmd), "list table inet %s\n", table);
  if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
    rc = berr(err, 0,
              "sidecar filter: the sidecar netns has no nftables table inet %s: the agent "
              "could reach every port of the sidecar",
              table);
  } else {
    /* The table netns_build wrote, in the listing's own form (nn_sidecar_table); both sides
     * without indentation, blank lines or the counters' values. */
    char text[12288], want[12288], got[12288], diff[600];
    nn_sidecar_table(t, port, table + strlen("bottle_"), text, sizeof(text));
    normalize_listing(text, want, sizeof(want));
    normalize_listing(nft_ctx_get_output_buffer(ctx), got, sizeof(got));
    if (strcmp(want, got) != 0) {
      first_difference(got, want, diff, sizeof(diff));
      rc = berr(err, 0,
                "sidecar filter: table inet %s of the sidecar netns is not bottle's (%s): the "
                "agent may reach more than the proxy port %u",
                table, diff, port);
    }
  }
  nft_ctx_free(ctx);
  if (rc < 0)
    err->errnum = EPERM;
  return rc;
}

/* Runs fn in the netns at path and returns there. */
static int in_netns(const char *path,
                    int (*fn)(const struct netns_topology *, unsigned, bottle_error_t *),
                    const struct netns_topology *t, unsigned port, bottle_error_t *err)
{
  int saved = enter_path(path, err);
  if (saved < 0)
    return -1;
  int rc = fn(t, port, err);
  nn_leave(saved);
  return rc;
}

static int agent_inside(const struct netns_topology *t, unsigned port, bottle_error_t *err)
{
  (void)port;
  return check_agent_inside(t, err);
}

int netns_check_boundary(const struct netns_topology *t, unsigned proxy_port, bottle_error_t *err)
{
  int eth = 0;
  if (netns_check_agent(t, &eth, err) < 0)
    return berr_wrap(err, "agent links");
  if (in_netns(t->agent_netns, agent_inside, t, proxy_port, err) < 0)
    return -1;
  return in_netns(t->sidecar_netns, check_sidecar_inside, t, proxy_port, err);
}

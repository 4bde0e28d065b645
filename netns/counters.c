/* The bypass counters of a bottle's table, read by a bare nf_tables netlink dump of its counter
 * objects: `bottle state`, which engines call often, then loads no libnftables (its load, its
 * dependencies and its parser cost about 4 ms a call) and formats no listing. */
#include "netns/internal.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ATTR_DATA(a) ((const char *)(a) + NLA_HDRLEN)
#define ATTR_LEN(a) ((size_t)(a)->nla_len - NLA_HDRLEN)

/* The attribute of type `type` among len bytes of attributes at at, or NULL. */
static const struct nlattr *attr_find(const void *at, size_t len, unsigned type)
{
  const struct nlattr *a = at;
  while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
    if ((a->nla_type & NLA_TYPE_MASK) == type)
      return a;
    size_t step = NLA_ALIGN(a->nla_len);
    if (step > len)
      break;
    len -= step;
    a = (const struct nlattr *)((const char *)a + step);
  }
  return NULL;
}

static size_t attr_put(char *buf, size_t off, unsigned type, const void *data, size_t len)
{
  struct nlattr *a = (struct nlattr *)(buf + off);
  a->nla_type = (unsigned short)type;
  a->nla_len = (unsigned short)(NLA_HDRLEN + len);
  memcpy(buf + off + NLA_HDRLEN, data, len);
  return off + NLA_ALIGN(a->nla_len);
}

/* One counter object of the dump: counts[k] for the kind its name names. */
static void take_counter(const struct nlmsghdr *h, const char *table,
                         unsigned long long counts[NETNS_BYPASS_KINDS], bool seen[])
{
  size_t hl = NLMSG_ALIGN(sizeof(struct nfgenmsg));
  if (h->nlmsg_len < NLMSG_HDRLEN + hl)
    return;
  const char *attrs = (const char *)NLMSG_DATA(h) + hl;
  size_t len = h->nlmsg_len - NLMSG_HDRLEN - hl;
  const struct nlattr *t = attr_find(attrs, len, NFTA_OBJ_TABLE);
  const struct nlattr *n = attr_find(attrs, len, NFTA_OBJ_NAME);
  const struct nlattr *d = attr_find(attrs, len, NFTA_OBJ_DATA);
  if (t == NULL || n == NULL || d == NULL || strncmp(ATTR_DATA(t), table, ATTR_LEN(t)) != 0)
    return;
  const struct nlattr *p = attr_find(ATTR_DATA(d), ATTR_LEN(d), NFTA_COUNTER_PACKETS);
  if (p == NULL || ATTR_LEN(p) != sizeof(uint64_t))
    return;
  uint64_t be;
  memcpy(&be, ATTR_DATA(p), sizeof(be));
  for (int k = 0; k < NETNS_BYPASS_KINDS; k++) {
    char name[32];
    snprintf(name, sizeof(name), "bypass_%s", netns_bypass_kinds[k]);
    if (strnlen(ATTR_DATA(n), ATTR_LEN(n)) == strlen(name) &&
        strncmp(ATTR_DATA(n), name, ATTR_LEN(n)) == 0) {
      counts[k] = be64toh(be);
      seen[k] = true;
    }
  }
}

static int dump_counters(int fd, const char *table, unsigned long long counts[NETNS_BYPASS_KINDS],
                         bool seen[], bottle_error_t *err)
{
  char req[256] = {0};
  struct nlmsghdr *h = (struct nlmsghdr *)req;
  h->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETOBJ;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  h->nlmsg_seq = 1;
  struct nfgenmsg *g = NLMSG_DATA(h);
  g->nfgen_family = NFPROTO_INET;
  g->version = NFNETLINK_V0;
  size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g));
  off = attr_put(req, off, NFTA_OBJ_TABLE, table, strlen(table) + 1);
  uint32_t type = htonl(NFT_OBJECT_COUNTER);
  off = attr_put(req, off, NFTA_OBJ_TYPE, &type, sizeof(type));
  h->nlmsg_len = (uint32_t)off;
  if (send(fd, req, off, 0) < 0)
    return berr(err, errno, "bypass counts: nf_tables dump");
  char buf[16384];
  for (;;) {
    ssize_t got = recv(fd, buf, sizeof(buf), 0);
    if (got < 0)
      return berr(err, errno, "bypass counts: nf_tables dump");
    for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)got);
         m = NLMSG_NEXT(m, got)) {
      if (m->nlmsg_type == NLMSG_DONE)
        return 0;
      if (m->nlmsg_type == NLMSG_ERROR)
        return berr(err, -((struct nlmsgerr *)NLMSG_DATA(m))->error,
                    "bypass counts: nf_tables dump");
      take_counter(m, table, counts, seen);
    }
  }
}

int netns_bypass_counts(const struct netns_topology *t,
                        unsigned long long counts[NETNS_BYPASS_KINDS], bottle_error_t *err)
{
  const char *hash = t->sidecar_ifname + 4;
  if (strncmp(t->sidecar_ifname, "btla", 4) != 0 || strlen(hash) != NN_HASH_LEN)
    return berr(err, EINVAL, "bypass counts: bottle's link %s has no hash", t->sidecar_ifname);
  char table[32];
  snprintf(table, sizeof(table), "bottle_%s", hash);
  int nsfd = nn_netns_open(t->sidecar_netns, err);
  if (nsfd < 0)
    return -1;
  /* A netlink socket talks to the netns it was made in. */
  int saved = nn_enter(nsfd, err);
  close(nsfd);
  if (saved < 0)
    return -1;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  int e = errno;
  nn_leave(saved);
  if (fd < 0)
    return berr(err, e, "bypass counts: netlink socket");
  bool seen[NETNS_BYPASS_KINDS] = {false};
  for (int k = 0; k < NETNS_BYPASS_KINDS; k++)
    counts[k] = 0;
  int rc = dump_counters(fd, table, counts, seen, err);
  close(fd);
  for (int k = 0; rc == 0 && k < NETNS_BYPASS_KINDS; k++)
    if (!seen[k])
      rc = berr(err, EPROTO, "bypass counts: table inet %s has no counter bypass_%s", table,
                netns_bypass_kinds[k]);
  return rc;
}

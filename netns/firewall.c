#include "netns/internal.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libnftables talks netlink to the kernel in-process (no nft process) and takes rules in
 * nft's own syntax, applied as one atomic transaction per buffer. */

struct nft {
  struct nft_ctx *ctx;
  int saved_ns; /* where to return after the context is freed, -1 = stayed home */
};

/* Closing an nftables socket soon after a commit that deleted something waits for the
 * kernel's cleanup of that commit, an RCU grace period (10-20 ms); after a commit that only
 * added, or once that cleanup is done, the close costs nothing. So a context that deleted is
 * parked instead of closed: the last two stay open until newer ones replace them or the
 * process exits (the teardown runs in a process whose exit nobody waits for, see
 * runtime/bottle/bottled.c). A parked socket is inherited by forks in between like the runtime's
 * other descriptors (a container's init closes all but its own first thing after clone,
 * hooks before their exec) and keeps the netns it was opened in alive until then: the
 * host's, an engine's, or an own sidecar netns (never the agent's), which holds nothing
 * else of ours once the topology is torn down. */
#define PARKED 2
static struct nft_ctx *parked[PARKED];
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;

static void park(struct nft_ctx *ctx)
{
  pthread_mutex_lock(&parked_lock);
  struct nft_ctx *oldest = parked[0];
  for (int i = 0; i + 1 < PARKED; i++)
    parked[i] = parked[i + 1];
  parked[PARKED - 1] = ctx;
  pthread_mutex_unlock(&parked_lock);
  if (oldest != NULL)
    nft_ctx_free(oldest);
}

static int nft_open(struct nft *n, int nsfd, bottle_error_t *err)
{
  n->saved_ns = -1;
  /* The context's netlink socket lives in the netns it was opened in. */
  if (nsfd >= 0 && (n->saved_ns = nn_enter(nsfd, err)) < 0)
    return -1;
  n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (n->ctx == NULL) {
    if (n->saved_ns >= 0)
      nn_leave(n->saved_ns);
    return berr(err, ENOMEM, "nftables context");
  }
  nft_ctx_buffer_output(n->ctx);
  nft_ctx_buffer_error(n->ctx);
  return 0;
}

/* deleted: whether a commit of this context deleted anything (see park) */
static void nft_close(struct nft *n, bool deleted)
{
  if (deleted)
    park(n->ctx);
  else
    nft_ctx_free(n->ctx);
  if (n->saved_ns >= 0)
    nn_leave(n->saved_ns);
}

/* Runs cmds; on failure sets err (unless quiet) with nft's first error line. */
static int nft_do(struct nft *n, const char *cmds, bool quiet, bottle_error_t *err)
{
  if (nft_run_cmd_from_buffer(n->ctx, cmds) == 0)
    return 0;
  if (quiet)
    return -1;
  const char *e = nft_ctx_get_error_buffer(n->ctx);
  int len = (int)strcspn(e ? e : "", "\n");
  return berr(err, EPROTO, "nftables: %.*s", len, e ? e : "");
}

/* The inbound part of the table: new TCP from the engine side (any link but lo and a bottle's
 * btla*) to an address of the netns, on any port but the proxy's, goes to the agent; its source
 * becomes the link address, so the agent's replies need no route. A SYN only: a stray segment
 * of no connection (conntrack picks those up as new) is not handed to the agent. Of several
 * bottles in one netns the one built last takes a connection: the kernel runs a new chain
 * before older ones of the same priority, and once one has mapped it the rest are not asked. */
static int inbound_chains(char *out, size_t len, const struct netns_topology *t, unsigned port)
{
  const char *i = t->sidecar_ifname;
  return snprintf(out, len,
                  "chain inbound {\n"
                  "type nat hook prerouting priority dstnat; policy accept;\n"
                  "iifname != \"lo\" iifname != \"btla*\" fib daddr type local tcp dport != %u "
                  "tcp flags syn / syn,ack dnat ip to %s\n"
                  "}\n"
                  "chain inbound_source {\n"
                  "type nat hook postrouting priority srcnat; policy accept;\n"
                  "oifname \"%s\" ct status dnat snat ip to %s\n"
                  "}\n",
                  port, t->agent_ip, i, t->sidecar_ip);
}

const char *const netns_bypass_kinds[NETNS_BYPASS_KINDS] = {"tcp", "udp", "dns", "icmp", "other"};

/* Bypass telemetry: what arrives from the agent's link and is refused below the proxy, counted
 * per kind (netns_bypass_kinds) in named counters of the bottle's table. The rules sit after
 * the proxy's accept, so the allowed path passes none of them; they only count, the rejects
 * after them decide. Written as nft lists them back, so that the start gate (netns/check.c)
 * compares the same text. */
void nn_bypass_objects(char *out, size_t len)
{
  size_t used = 0;
  out[0] = '\0';
  for (int k = 0; k < NETNS_BYPASS_KINDS && used < len; k++)
    used +=
        (size_t)snprintf(out + used, len - used, "counter bypass_%s {\n}\n", netns_bypass_kinds[k]);
}

void nn_bypass_rules(char *out, size_t len, const char *i)
{
  snprintf(out, len,
           "iifname \"%s\" meta l4proto { tcp, udp } th dport 53 counter name \"bypass_dns\"\n"
           "iifname \"%s\" tcp dport != 53 counter name \"bypass_tcp\"\n"
           "iifname \"%s\" udp dport != 53 counter name \"bypass_udp\"\n"
           "iifname \"%s\" meta l4proto icmp counter name \"bypass_icmp\"\n"
           "iifname \"%s\" meta l4proto != { icmp, tcp, udp } counter name \"bypass_other\"\n",
           i, i, i, i, i);
}

void nn_proxyless_rules(const struct netns_topology *t, char *accepts, size_t alen, char *chain,
                        size_t clen)
{
  const struct netns_proxyless *p = &t->proxyless;
  const char *i = t->sidecar_ifname, *ip = t->sidecar_ip;
  accepts[0] = chain[0] = '\0';
  if (!p->on)
    return;
  /* One rule per port: a one-element set would be listed back in another form. */
  size_t a = (size_t)snprintf(accepts, alen,
                              "iifname \"%s\" ip daddr %s udp dport 53 accept\n"
                              "iifname \"%s\" ip daddr %s tcp dport 53 accept\n",
                              i, ip, i, ip);
  size_t c = (size_t)snprintf(chain, clen,
                              "chain proxyless {\n"
                              "type nat hook prerouting priority dstnat; policy accept;\n"
                              "iifname \"%s\" ip daddr %s udp dport 53 dnat ip to %s:%u\n"
                              "iifname \"%s\" ip daddr %s tcp dport 53 dnat ip to %s:%u\n",
                              i, ip, ip, p->dns_port, i, ip, ip, p->dns_port);
  for (size_t k = 0; k < p->n_ports && a < alen && c < clen; k++) {
    a += (size_t)snprintf(accepts + a, alen - a, "iifname \"%s\" ip daddr %s tcp dport %u accept\n",
                          i, ip, p->ports[k]);
    c += (size_t)snprintf(chain + c, clen - c,
                          "iifname \"%s\" ip daddr %s tcp dport %u dnat ip to %s:%u\n", i, ip,
                          p->ports[k], ip, p->redirect_port);
  }
  if (c < clen)
    snprintf(chain + c, clen - c, "}\n");
}

/* The bottle's table in the sidecar netns, in the form libnftables lists it back (nft 1.0: the
 * symbolic priorities, "tcp flags syn / syn,ack"), which nft also reads: the build loads it and
 * the start gate (check.c) compares the listing with it, one text for both. */
void nn_sidecar_table(const struct netns_topology *t, unsigned port, const char *hash, char *out,
                      size_t len)
{
  const char *i = t->sidecar_ifname, *ip = t->sidecar_ip;
  char inbound[1024] = "", replies[128] = "", forward_in[256] = "";
  if (t->inbound) {
    inbound_chains(inbound, sizeof(inbound), t, port);
    /* Replies of inbound connections, before the rejects: a reply's destination is the
     * link address with the port the source NAT chose. From the agent's own address only: a
     * forged one could be the reply of another bottle's connection (conntrack looks a
     * packet up by its addresses, not by the link it came in on). */
    snprintf(replies, sizeof(replies),
             "iifname \"%s\" ip saddr %s ct direction reply ct status dnat accept\n", i,
             t->agent_ip);
    snprintf(forward_in, sizeof(forward_in),
             "iifname \"%s\" ip saddr %s ct direction reply ct status dnat accept\n"
             "oifname \"%s\" ct direction original ct status dnat meta l4proto tcp accept\n",
             i, t->agent_ip, i);
  }
  char counters[256], counting[1024];
  nn_bypass_objects(counters, sizeof(counters));
  nn_bypass_rules(counting, sizeof(counting), i);
  char proxyless_in[1536], proxyless[2048];
  nn_proxyless_rules(t, proxyless_in, sizeof(proxyless_in), proxyless, sizeof(proxyless));
  /* Prerouting, not input: with forwarding off a packet for any other address would be
   * dropped silently and the agent would wait for a timeout; a reject answers at once
   * (connection refused for the sidecar's other ports, unreachable for anything else).
   * The link address is the agent's way to its proxy and nobody else's: a peer on the engine
   * side that routes to it would get the agent's pipelock (and its name in the agent's log),
   * the proxyless listeners, or the agent past the inbound rule; lo stays (the redirector
   * talks to pipelock there).
   * Forward: a drop in any base chain is final, so each bottle's chain judges its own link
   * only and leaves the other bottles' links to theirs; between any other links nothing is
   * forwarded. */
  snprintf(out, len,
           "table inet bottle_%s {\n"
           "%s"
           "chain agent_in {\n"
           "type filter hook prerouting priority mangle; policy accept;\n"
           "iifname \"%s\" ip daddr %s tcp dport %u accept\n"
           "%s%s"
           "%s"
           "iifname \"%s\" ip daddr %s meta l4proto tcp reject with tcp reset\n"
           "iifname \"%s\" reject with icmpx admin-prohibited\n"
           "iifname != \"lo\" iifname != \"%s\" ip daddr %s reject with icmpx admin-prohibited\n"
           "}\n"
           "%s%s"
           "chain forward {\n"
           "type filter hook forward priority filter; policy drop;\n"
           "%s"
           "iifname \"%s\" drop\n"
           "oifname \"%s\" drop\n"
           "iifname \"btla*\" accept\n"
           "oifname \"btla*\" accept\n"
           "}\n"
           "}\n",
           hash, counters, i, ip, port, replies, proxyless_in, counting, i, ip, i, i, ip, inbound,
           proxyless, forward_in, i, i);
}

int nn_sidecar_rules(int nsfd, const char *hash, const struct netns_topology *t, unsigned port,
                     bottle_error_t *err)
{
  struct nft n;
  if (nft_open(&n, nsfd, err) < 0)
    return -1;
  /* This bottle's own table, so that bottles sharing an engine's netns never touch each
   * other's. One left by an earlier build of the same name (a crash) is replaced in the same
   * transaction; usually there is none, and a commit that only adds closes for free. */
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "list table inet bottle_%s\n", hash);
  bool stale = nft_do(&n, cmd, true, NULL) == 0;
  char cmds[12288];
  int used = stale ? snprintf(cmds, sizeof(cmds), "delete table inet bottle_%s\n", hash) : 0;
  nn_sidecar_table(t, port, hash, cmds + used, sizeof(cmds) - (size_t)used);
  int rc = nft_do(&n, cmds, false, err);
  nft_close(&n, stale);
  return rc < 0 ? berr_wrap(err, "sidecar rules") : 0;
}

int nn_sidecar_rules_remove(int nsfd, const char *hash, bottle_error_t *err)
{
  struct nft n;
  if (nft_open(&n, nsfd, err) < 0)
    return -1;
  /* By its unique name: another bottle's table in the same netns stays. */
  char cmds[128];
  snprintf(cmds, sizeof(cmds), "add table inet bottle_%s\ndelete table inet bottle_%s\n", hash,
           hash);
  int rc = nft_do(&n, cmds, false, err);
  nft_close(&n, true);
  return rc < 0 ? berr_wrap(err, "remove sidecar rules") : 0;
}

static bool chain_exists(struct nft *n, const char *family_table_chain)
{
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "list chain %s\n", family_table_chain);
  return nft_do(n, cmd, true, NULL) == 0;
}

/* The chain of iptables-nft's filter table where a forward accept takes effect: docker's
 * DOCKER-USER when present, FORWARD otherwise, NULL when there is no such table. An accept
 * in a table of our own would not help: a drop in any base chain on the hook is final. */
static const char *forward_chain(struct nft *n)
{
  if (chain_exists(n, "ip filter DOCKER-USER"))
    return "ip filter DOCKER-USER";
  if (chain_exists(n, "ip filter FORWARD"))
    return "ip filter FORWARD";
  return NULL;
}

int nn_host_rules(const char *hash, const char *ifname, const char *subnet, bool inbound,
                  bottle_error_t *err)
{
  struct nft n;
  if (nft_open(&n, -1, err) < 0)
    return -1;
  char cmds[2048];
  /* Toward the sidecar only replies pass (our table's drop is final whatever other tables
   * accept); the accepts that get past a drop policy go into iptables-nft's chain in the
   * plain form iptables itself can read back: iptables-nft refuses a chain holding a native
   * "ct state" expression, and dockerd edits that table with iptables. */
  int len = snprintf(cmds, sizeof(cmds),
                     "add table ip bottle\n"
                     "add chain ip bottle postrouting { type nat hook postrouting priority "
                     "srcnat; policy accept; }\n"
                     "add chain ip bottle forward { type filter hook forward priority -1; "
                     "policy accept; }\n"
                     "add chain ip bottle input { type filter hook input priority -1; "
                     "policy accept; }\n"
                     "add rule ip bottle postrouting ip saddr %s oifname != \"%s\" masquerade "
                     "comment \"bottle:%s\"\n"
                     "add rule ip bottle forward oifname \"%s\" ct state { new, invalid, "
                     "untracked } reject with icmp type admin-prohibited comment \"bottle:%s\"\n"
                     /* The uplink leads through the host, never to it: an allowlisted name that
                      * resolves to one of the host's own addresses must not reach its services
                      * (threats.md 19), whatever pipelock's SSRF list says. */
                     "add rule ip bottle input iifname \"%s\" reject with icmp type "
                     "admin-prohibited comment \"bottle:%s\"\n",
                     subnet, ifname, hash, ifname, hash, ifname, hash);
  /* Inbound: the replies to the host's own connections into the sidecar netns (which forwards
   * them to the agent) come in; a connection opened from that side still does not. */
  if (inbound)
    len += snprintf(cmds + len, sizeof(cmds) - (size_t)len,
                    "insert rule ip bottle input iifname \"%s\" ct direction reply accept "
                    "comment \"bottle:%s\"\n",
                    ifname, hash);
  const char *fwd = forward_chain(&n);
  if (fwd != NULL)
    snprintf(cmds + len, sizeof(cmds) - (size_t)len,
             "insert rule %s oifname \"%s\" accept comment \"bottle:%s\"\n"
             "insert rule %s iifname \"%s\" accept comment \"bottle:%s\"\n",
             fwd, ifname, hash, fwd, ifname, hash);
  int rc = nft_do(&n, cmds, false, err);
  nft_close(&n, false);
  return rc < 0 ? berr_wrap(err, "host rules for %s", ifname) : 0;
}

/* Appends to cmds a "delete rule" for each rule of chain tagged "bottle:<hash>" and counts
 * the others in *left. Returns 0 when the chain does not exist, 1 when it does, -1 on
 * error. */
static int collect_tagged(struct nft *n, const char *chain, const char *hash, char *cmds,
                          size_t *used, size_t size, int *left)
{
  *left = 0;
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "list chain %s\n", chain);
  nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_HANDLE);
  int rc = nft_do(n, cmd, true, NULL);
  nft_ctx_output_set_flags(n->ctx, 0);
  if (rc < 0)
    return 0; /* no such chain: nothing of ours in it */
  char *listing = strdup(nft_ctx_get_output_buffer(n->ctx));
  if (listing == NULL)
    return -1;
  char tag[64];
  snprintf(tag, sizeof(tag), "comment \"bottle:%s\"", hash);
  char *save = NULL;
  for (char *line = strtok_r(listing, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *h = strstr(line, "# handle ");
    const char *word = line + strspn(line, " \t");
    if (h == NULL || strncmp(word, "table ", 6) == 0 || strncmp(word, "chain ", 6) == 0)
      continue; /* table and chain headers carry handles too */
    if (strstr(line, tag) == NULL) {
      (*left)++;
      continue;
    }
    int w = snprintf(cmds + *used, size - *used, "delete rule %s handle %ld\n", chain,
                     strtol(h + 9, NULL, 10));
    if (w < 0 || *used + (size_t)w >= size) {
      free(listing);
      return -1;
    }
    *used += (size_t)w;
  }
  free(listing);
  return 1;
}

int nn_host_rules_remove(const char *hash, bottle_error_t *err)
{
  struct nft n;
  if (nft_open(&n, -1, err) < 0)
    return -1;
  int left = 0, ignored = 0, rc = 0;
  char cmds[8192] = "";
  size_t used = 0;
  if (collect_tagged(&n, "ip filter DOCKER-USER", hash, cmds, &used, sizeof(cmds), &ignored) < 0 ||
      collect_tagged(&n, "ip filter FORWARD", hash, cmds, &used, sizeof(cmds), &ignored) < 0)
    rc = berr(err, ENOMEM, "list forward rules");
  int left_fwd = 0, left_in = 0;
  int found = collect_tagged(&n, "ip bottle postrouting", hash, cmds, &used, sizeof(cmds), &left);
  int found_fwd =
      collect_tagged(&n, "ip bottle forward", hash, cmds, &used, sizeof(cmds), &left_fwd);
  int found_in = collect_tagged(&n, "ip bottle input", hash, cmds, &used, sizeof(cmds), &left_in);
  if (found < 0 || found_fwd < 0 || found_in < 0)
    rc = berr(err, ENOMEM, "list host rules");
  /* The table is ours; it goes with its last rule (callers hold the uplink lock), in the
   * same transaction: one commit, one grace period. */
  if (rc == 0 && (found > 0 || found_fwd > 0 || found_in > 0) && left + left_fwd + left_in == 0 &&
      used + 32 < sizeof(cmds))
    used += (size_t)snprintf(cmds + used, sizeof(cmds) - used, "delete table ip bottle\n");
  if (rc == 0 && used > 0)
    rc = nft_do(&n, cmds, false, err);
  nft_close(&n, used > 0);
  return rc < 0 ? berr_wrap(err, "host rules") : 0;
}

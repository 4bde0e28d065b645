# A test "internet": a network namespace holding an HTTP server and a counting DNS server on
# TEST-NET-2 (198.51.100.0/24), reachable only through one veth from the netns the test
# calls "host". Source it (after tests/lib.sh), then:
#
#   internet_up TAG [HOST_NETNS]   HOST_NETNS: a name under /run/netns ("" = this netns)
#   internet_down                  idempotent; call it from the test's EXIT trap
#   internet_dns_count             number of queries the DNS server has seen
#   internet_ns_exec CMD...        run CMD inside the internet netns
#
# internet_up sets:
#   INTERNET_NS        netns name (under /run/netns)
#   INTERNET_IP        the web and DNS host (HTTP :80 serves "hello from the test internet")
#   INTERNET_HOST_IP   the "host" end of the link (what masqueraded traffic comes from)
#   INTERNET_NET       the /29 routed to the internet (connected route on the host side)
#   INTERNET_DNS_COUNT file with one line per DNS query received
#
# DNS answers come from INTERNET_DNS_TABLE ("name=ip ..."; default "example.test=INTERNET_IP").
#
# Concurrency: each internet takes its own /29 slot of 198.51.100.0/24 (32 slots, leased
# under a flock in /run/bottle-test-internet), so tests of several engineers can run at once.
# Nothing here adds a default route anywhere; the host side only gets the connected /29, so
# no packet can leave toward a real address. The host end has per-interface forwarding on
# (net.ipv4.conf.<veth>.forwarding=1) so that replies to masqueraded traffic are forwarded;
# it disappears with the veth.

INTERNET_LOCKDIR=/run/bottle-test-internet
INTERNET_NS= INTERNET_IP= INTERNET_HOST_IP= INTERNET_NET= INTERNET_DNS_COUNT=
_internet_slot= _internet_dir= _internet_host_ns= _internet_veth= _internet_pids=()

_internet_host() {
  if [ -n "$_internet_host_ns" ]; then nsenter --net="/run/netns/$_internet_host_ns" "$@"; else "$@"; fi
}

# nsenter, not "ip netns exec", which forks: the servers are started with nsenter directly
# so that $! is the server's own pid.
internet_ns_exec() {
  nsenter --net="/run/netns/$INTERNET_NS" "$@"
}

internet_up() {
  local tag=$1 host_ns=${2:-}
  local testdns=${BUILD:-build}/tests/testdns
  [ -x "$testdns" ] || { echo "internet_up: $testdns not built" >&2; return 1; }
  mkdir -p "$INTERNET_LOCKDIR"
  local slot
  _internet_slot=
  exec {_internet_lockfd}>"$INTERNET_LOCKDIR/lock"
  flock "$_internet_lockfd"
  for slot in $(seq 1 31); do
    local f=$INTERNET_LOCKDIR/slot-$slot
    # A slot whose owner died without internet_down is free again.
    if [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then continue; fi
    echo $$ >"$f"
    _internet_slot=$slot
    break
  done
  flock -u "$_internet_lockfd"
  exec {_internet_lockfd}>&-
  [ -n "$_internet_slot" ] || { echo "internet_up: all slots busy" >&2; return 1; }

  local base=$((_internet_slot * 8))
  INTERNET_NET=198.51.100.$base/29
  INTERNET_HOST_IP=198.51.100.$((base + 1))
  INTERNET_IP=198.51.100.$((base + 2))
  INTERNET_NS=inet-$tag-$$
  _internet_host_ns=$host_ns
  _internet_veth=inet$$s$_internet_slot
  _internet_veth=${_internet_veth:0:15}
  _internet_dir=$(mktemp -d /tmp/internet.XXXXXX)
  INTERNET_DNS_COUNT=$_internet_dir/dns-queries
  : >"$INTERNET_DNS_COUNT"

  ip netns add "$INTERNET_NS" || return 1
  _internet_host ip link add "$_internet_veth" type veth peer name eth0 netns "$INTERNET_NS" || return 1
  _internet_host sysctl -qw "net.ipv6.conf.$_internet_veth.disable_ipv6=1"
  _internet_host sysctl -qw "net.ipv4.conf.$_internet_veth.forwarding=1"
  _internet_host ip addr add "$INTERNET_HOST_IP/29" dev "$_internet_veth" || return 1
  _internet_host ip link set "$_internet_veth" up || return 1
  internet_ns_exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  internet_ns_exec ip link set lo up
  internet_ns_exec ip addr add "$INTERNET_IP/29" dev eth0 || return 1
  internet_ns_exec ip link set eth0 up || return 1

  mkdir -p "$_internet_dir/www"
  echo "hello from the test internet" >"$_internet_dir/www/index.html"
  nsenter --net="/run/netns/$INTERNET_NS" busybox httpd -f -p "$INTERNET_IP:80" -h "$_internet_dir/www" &
  _internet_pids+=($!)
  local table=${INTERNET_DNS_TABLE:-example.test=$INTERNET_IP}
  # shellcheck disable=SC2086
  nsenter --net="/run/netns/$INTERNET_NS" "$testdns" "$INTERNET_IP:53" "$INTERNET_DNS_COUNT" $table &
  _internet_pids+=($!)
  # Ready when both sockets are bound (ss inside the netns; no packets needed).
  local i
  for i in $(seq 1 100); do
    local ports
    ports=$(internet_ns_exec ss -Hltun 2>/dev/null)
    if [[ $ports == *"$INTERNET_IP:80"* && $ports == *"$INTERNET_IP:53"* ]]; then return 0; fi
    sleep 0.05
  done
  echo "internet_up: servers did not start" >&2
  return 1
}

internet_dns_count() {
  wc -l <"$INTERNET_DNS_COUNT" | tr -d ' '
}

internet_down() {
  local p
  for p in "${_internet_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${_internet_pids[@]}"; do wait "$p" 2>/dev/null; done
  _internet_pids=()
  [ -n "$_internet_veth" ] && _internet_host ip link del "$_internet_veth" 2>/dev/null
  [ -n "$INTERNET_NS" ] && ip netns del "$INTERNET_NS" 2>/dev/null
  [ -n "$_internet_dir" ] && rm -rf "$_internet_dir"
  [ -n "$_internet_slot" ] && rm -f "$INTERNET_LOCKDIR/slot-$_internet_slot"
  _internet_veth= INTERNET_NS= _internet_dir= _internet_slot=
  return 0
}

# Shared by integration/netns_*.sh: a private "host" netns for each test, so that links,
# routes, nftables rules and sysctls the library sets on the host land in a namespace the
# test owns (a fake dockerd ruleset in it cannot disturb anyone), and helpers around the
# test_netns driver (tests/unit/test_netns.c).
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"
. "$BOTTLE_TOP/tests/internet.lib.sh"

NN=$BUILD/tests/test_netns
NN_HOST=nnhost-$$
NN_DIR=
NN_NAMES=()
NN_PIDS=()

nn_setup() {
  need_root
  local t
  for t in ip nsenter nft busybox ss flock sysctl; do
    command -v "$t" >/dev/null || skip "needs $t"
  done
  [ -x "$NN" ] || skip "$NN not built (make)"
  [ -x "$BUILD/tests/testdns" ] || skip "$BUILD/tests/testdns not built (make)"
  NN_DIR=$(mktemp -d /tmp/nntest.XXXXXX)
  ip netns add "$NN_HOST" || exit 1
  # A new netns copies the real host's IPv4 settings: start from a fresh host's.
  nn_host sysctl -qw net.ipv4.ip_forward=0
  nn_host ip link set lo up
  # A default route as on a real host, into a veth whose peer stays down (anything sent
  # there is dropped), so the library's per-interface upstream forwarding is exercised.
  nn_host ip link add fakeup type veth peer name fakeup-peer
  nn_host ip link set fakeup up
  nn_host ip addr add 198.51.100.1/29 dev fakeup
  nn_host ip route add default dev fakeup
  trap nn_cleanup EXIT
}

nn_cleanup() {
  local n
  for n in "${NN_PIDS[@]}"; do kill "$n" 2>/dev/null; done
  for n in "${NN_PIDS[@]}"; do wait "$n" 2>/dev/null; done
  for n in "${NN_NAMES[@]}"; do nn_host "$NN" teardown "$n" state_dir="$NN_DIR/state" 2>/dev/null; done
  internet_down
  ip netns del "$NN_HOST" 2>/dev/null
  # Any bind mount a failing test left behind, then the directory.
  grep -F " $NN_DIR/" /proc/self/mountinfo | awk '{print $5}' | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$NN_DIR"
}

# Runs a command in the private host netns (nsenter changes only the netns, so the netns bind
# mounts made there are visible to everyone, as on a real host).
nn_host() { nsenter --net="/run/netns/$NN_HOST" "$@"; }
nn_in() { local ns=$1; shift; nsenter --net="$ns" "$@"; }

# nn_build NAME MODE [k=v...]: builds and imports AGENT_NETNS, SIDECAR_IP, ... into the shell.
nn_build() {
  local name=$1 mode=$2 out
  shift 2
  NN_NAMES+=("$name")
  out=$(nn_host "$NN" build "$name" "$mode" port=8888 run_dir="$NN_DIR/run" \
    state_dir="$NN_DIR/state" link_pool=192.0.2.0/24 uplink_pool=203.0.113.0/24 "$@") || return 1
  eval "$out"
}

nn_teardown() { nn_host "$NN" teardown "$1" state_dir="$NN_DIR/state"; }

# Fakes what dockerd does with the iptables-nft backend: table ip filter, FORWARD policy drop
# jumping to DOCKER-USER first (without_user=1: a FORWARD chain alone).
nn_fake_docker_forward_drop() {
  local user_chain="add chain ip filter DOCKER-USER
add rule ip filter FORWARD jump DOCKER-USER"
  [ "${1:-}" = without_user ] && user_chain=
  nn_host nft -f - <<NFT
add table ip filter
add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }
$user_chain
NFT
}

# Everything the library could leave behind on the host: links, addresses, routes, nftables,
# net sysctls of the private host netns, plus the netns bind mounts and files under this
# test's own directories. Mounts are filtered to NN_DIR because other engineers' tests
# create and remove their own mounts on this machine concurrently; the host netns needs no
# filter because it is private to this test.
nn_snapshot() {
  nn_host ip -o link show | sed 's/ state [A-Z]*//; s/ qlen [0-9]*//' | awk '{$1=""; print}'
  nn_host ip -o addr show
  nn_host ip route show table all
  nn_host ip -6 route show table all
  nn_host nft list ruleset
  nn_host sysctl -a 2>/dev/null | grep -E '^net\.(ipv4\.(ip_forward|conf\.)|ipv6\.conf\.)'
  grep -F " $NN_DIR/" /proc/self/mountinfo | awk '{print $5}'
  find "$NN_DIR" -mindepth 1 ! -name uplink.lock ! -name leases ! -name run ! -name state \
    ! -path "$NN_DIR/www*" ! -path "$NN_DIR/engine-ns" | sort
}

# nn_engine_ns: ENG, an empty netns with lo up bind-mounted at $NN_DIR/engine-ns, standing in
# for an engine's container netns (nn_cleanup unmounts it); nn_engine_state: what a bottle could
# leave in it (addresses, links, routes, nftables).
nn_engine_ns() {
  ENG=$NN_DIR/engine-ns
  touch "$ENG" && unshare --net="$ENG" true && nn_in "$ENG" ip link set lo up
}
nn_engine_state() {
  nn_in "$ENG" ip -o addr show
  nn_in "$ENG" ip -o link show
  nn_in "$ENG" ip route show table all
  nn_in "$ENG" nft list ruleset
}

# check_same WHAT BEFORE AFTER: like check_eq, printing a diff rather than both texts.
check_same() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; diff <(echo "$2") <(echo "$3") | head -20; fi
}

# nn_listen NETNS ADDR PORT: an HTTP listener (busybox httpd) that serves "proxy-port-ok".
# Sets LISTEN_PID.
nn_listen() {
  mkdir -p "$NN_DIR/www"
  echo proxy-port-ok >"$NN_DIR/www/index.html"
  # nsenter directly (not through a function) so that $! is the server itself.
  nsenter --net="$1" busybox httpd -f -p "$2:$3" -h "$NN_DIR/www" &
  LISTEN_PID=$!
  NN_PIDS+=("$LISTEN_PID")
  local i
  for i in $(seq 100); do
    [[ $(nn_in "$1" ss -Hltn) == *"$2:$3"* ]] && return 0
    sleep 0.05
  done
  return 1
}

# check_probe WHAT EXPECTED NETNS KIND ADDR [PORT]: how a connection attempt from NETNS ends.
check_probe() {
  local what=$1 want=$2 ns=$3
  shift 3
  check_eq "$what" "$want" "$(nn_in "$ns" "$NN" probe "$@")"
}

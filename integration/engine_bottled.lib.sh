# Helpers shared by the bottled tests under real engines (docker_bottled.sh,
# containerd_bottled.sh, podman_bottled.sh). Source after entering the test's private host
# netns (in_private_host_netns); the snapshot helpers read ROOT (bottle's --root under the
# engine).
#
#   engine_bottled_init NAME  lo up, IPv6 off, engines_init NAME, the test internet
#                   (INTERNET_*, IP) and a bottled runtime config at $ENGINE_TMP/bottle.json
#                   (the pipelock double as sidecar, example.test allowed, the test DNS for
#                   an own uplink); the EXIT trap runs engine_bottled_pre_cleanup if the
#                   test defines it, then takes the internet down and runs engines_cleanup
#   agent_probe, check_agent_probe  see bottled.lib.sh
#   engine_bottled_docker NAME  engine_bottled_init NAME, then a private dockerd whose bridge
#                   (TEST-NET-3) the test internet routes back to, no NAT; IMG and ROOT
#   dkt ARGS...     dk under a time limit (a hang fails the check instead of the whole test)
#   B ARGS...       bottle on ROOT
#   check_bottle_exec WHAT ID MODE EXEC...  a running bottle: its state and record (MODE, the
#                   network mode as the record names it), and the engine's exec (run as
#                   `EXEC... ID CMD...`, named WHAT) landing in the agent netns with the proxy
#                   env and a way through the proxy; sets AGENT_NS
#   nname ID        netns/'s name for a container id under ROOT (bind mounts, links, cgroups)
#   sidecar_pid ID  the sidecar's host pid (its state lives under <ROOT>/.bottle/<ID>/state)
#   track ID        remember an id: snapshot looks for what it can leave (its sidecar's cgroup
#                   "<agent's cgroup>-bottle-sidecar" included)
#   snapshot        links, addresses, routes, nft rules and net sysctls of this netns; netns
#                   bind mounts and records, sidecar cgroups, mounts, processes and state
#                   machine-wide, filtered by the tracked names
#   left_behind WHAT  passes when snapshot equals the one taken in $before

# shellcheck source=integration/engines.lib.sh
. "$BOTTLE_TOP/integration/engines.lib.sh"
# shellcheck source=tests/internet.lib.sh
. "$BOTTLE_TOP/tests/internet.lib.sh"
# shellcheck source=integration/bottled.lib.sh
. "$BOTTLE_TOP/integration/bottled.lib.sh" # _bt_sidecar_bundle, bt_netns_name, the agent probe
[ -x "$BUILD/tests/testdns" ] || skip "testdns not built ($BUILD/tests/testdns)"

# engine_dead_uplink: for bottles that take their own uplink (ctr, bottle-run) in the private host
# netns: a default route into a veth nobody answers, and forwarding on it from the start (netns/
# turns it on while an uplink lease exists and restores it from a state dir every bottle of the
# machine shares; see bottled.lib.sh).
engine_dead_uplink() {
  ip link add fakeup type veth peer name fakeup-peer
  sysctl -qw net.ipv4.conf.fakeup.forwarding=1
  ip link set fakeup up
  ip addr add 192.0.2.1/30 dev fakeup
  ip route add default via 192.0.2.2 dev fakeup
}

engine_bottled_init() {
  ip link set lo up
  sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  engines_init "$1"
  trap _engine_bottled_cleanup EXIT
  internet_up "$1" || exit 1
  IP=$INTERNET_IP
  _bt_sidecar_bundle || exit 1
  python3 - "$ENGINE_TMP/bottle.json" "$BT_SIDECAR" "$IP" <<'PY'
import json, sys
json.dump({"mode": "bottled",
           "sidecar": {"bundle": sys.argv[2], "ready_timeout_ms": 10000},
           "egress": {"default_allowlist": ["example.test"]},
           "network": {"dns": [sys.argv[3]]}}, open(sys.argv[1], "w"))
PY
}

engine_bottled_docker() {
  engine_bottled_init "$1"
  export ENGINE_DOCKER_BRIDGE_CIDR=203.0.113.1/24
  docker_start
  docker_busybox_image
  sysctl -qw "net.ipv4.conf.btbr$$.forwarding=1"
  internet_ns_exec ip route add 203.0.113.0/24 via "$INTERNET_HOST_IP" || exit 1
  IMG=$ENGINE_IMAGE
  ROOT=$DOCKER_RUNTIME_ROOT
}

dkt() { timeout 120 "$ENGINE_DOCKER_BIN" -H "unix://$DOCKER_HOST_SOCK" "$@" 2> >(grep -v 'IPv4 forwarding is disabled' >&2); }

# engines_cleanup exits with the status it was entered with: keep the test's.
_engine_bottled_cleanup() {
  local rc=$?
  declare -F engine_bottled_pre_cleanup >/dev/null && engine_bottled_pre_cleanup
  internet_down
  (exit "$rc")
  engines_cleanup
}

B() { "$BOTTLE" --root "$ROOT" "$@"; }

check_bottle_exec() {
  local what=$1 id=$2 mode=$3 rec env
  local exec=("${@:4}")
  check_contains "bottle state: sidecar running" '"sidecar": "running"' "$(B state "$id")"
  rec=$(cat "$ROOT/.bottle/$id/record.json")
  check_contains "record: network mode $mode" "\"network\":\"$mode\"" "$rec"
  AGENT_NS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["agent_netns"])' "$rec")
  check_eq "$what lands in the agent netns" "$(stat -L -c %i "$AGENT_NS")" \
    "$("${exec[@]}" "$id" stat -L -c %i /proc/self/ns/net)"
  env=$("${exec[@]}" "$id" env)
  check_contains "$what gets HTTP_PROXY" "HTTP_PROXY=http://10.231.0.1:8888" "$env"
  check_contains "$what gets no_proxy" "no_proxy=localhost,127.0.0.1,::1" "$env"
  check_eq "$what: allowed host through the proxy" "hello from the test internet" \
    "$("${exec[@]}" "$id" wget -q -O- http://example.test/ 2>&1)"
}

nname() { BT_ROOT=$ROOT bt_netns_name "$1"; }

sidecar_pid() {
  "$BOTTLE" --root "$ROOT/.bottle/$1/state" state sidecar |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}

names=() ids=()
track() { names+=("$(nname "$1")"); ids+=("$1"); }

snapshot() {
  ip -o link show | awk '{print $2}'
  ip -o addr show
  ip route show table all | sed 's/ linkdown//'
  # counters of an engine's own rules (podman's CNI iptables) move with its traffic
  nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
  sysctl net.ipv4.ip_forward net.ipv4.conf 2>/dev/null | grep -v '^net.ipv4.conf.veth'
  local n p
  for n in "${names[@]}"; do
    find /run/bottle/netns /run/bottle/netns-state -maxdepth 1 -name "*$n*" 2>/dev/null | sed 's/^/netns /'
    find /sys/fs/cgroup/*/bottle /sys/fs/cgroup/bottle -maxdepth 1 -name "$n*" 2>/dev/null | sed 's/^/cgroup /'
  done
  for n in "${ids[@]}"; do # a sidecar's cgroup: a sibling of its agent's, under the engine's parent
    find /sys/fs/cgroup -maxdepth 4 -name "*$n*-bottle-sidecar" 2>/dev/null | sed 's/^/cgroup /'
  done
  grep -F " $ROOT/" /proc/self/mountinfo | awk '{print "mount " $5}'
  for p in /proc/[0-9]*; do
    case $(readlink "$p/root" 2>/dev/null) in "$ROOT"/*) echo "proc $(tr '\0' ' ' <"$p/cmdline")" ;; esac
  done
  find "$ROOT/.bottle" 2>/dev/null | sed 's/^/state /'
}

left_behind() {
  local now
  now=$(settle snapshot "$before")
  if [ "$before" = "$now" ]; then ok "$1: nothing left behind"; else
    fail "$1: nothing left behind"
    diff <(echo "$before") <(echo "$now") | head -20
  fi
}

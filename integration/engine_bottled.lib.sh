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
#   agent_probe     (after init) a script for `sh -c` that an agent runs as its main process:
#                   proxy env, allowed and blocked requests, a direct connection, DNS, links
#   check_agent_probe WHAT RC OUT  the checks on its output (and on the test DNS's log)
#   nname ID        netns/'s name for a container id under ROOT (bind mounts, links, cgroups)
#   sidecar_pid ID  the sidecar's host pid (its state lives under <ROOT>/.bottle/<ID>/state)
#   track ID        remember an id: snapshot looks for what it can leave
#   snapshot        links, addresses, routes, nft rules and net sysctls of this netns; netns
#                   bind mounts and records, sidecar cgroups, mounts, processes and state
#                   machine-wide, filtered by the tracked names
#   left_behind WHAT  passes when snapshot equals the one taken in $before

# shellcheck source=integration/engines.lib.sh
. "$BOTTLE_TOP/integration/engines.lib.sh"
# shellcheck source=tests/internet.lib.sh
. "$BOTTLE_TOP/tests/internet.lib.sh"
# shellcheck source=integration/bottled.lib.sh
. "$BOTTLE_TOP/integration/bottled.lib.sh" # only for _bt_sidecar_bundle
[ -x "$BUILD/tests/testdns" ] || skip "testdns not built ($BUILD/tests/testdns)"

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

agent_probe() {
  cat <<SH
env | grep -i _proxy= | sort
echo --- allowed; wget -q -O- http://example.test/; echo "wget-allowed=\$?"
echo --- blocked; wget -q -O- http://blocked.test/ 2>&1; echo "wget-blocked=\$?"
echo --- direct; nc -w 2 $IP 80 </dev/null 2>&1; echo "nc=\$?"
echo --- dns; nslookup agent-probe.test $IP 2>&1; echo "dns=\$?"
echo --- resolv; nslookup agent-resolv.test 2>&1; echo "resolv=\$?"
echo --- ifaces; ls /sys/class/net | tr '\n' ' '; echo; ip -4 route
SH
}

check_agent_probe() {
  local what=$1 rc=$2 out=$3 queries
  echo "$out"
  check_eq "$what of a bottled agent exits 0" 0 "$rc"
  check_contains "agent has HTTP_PROXY" "HTTP_PROXY=http://10.231.0.1:8888" "$out"
  check_contains "agent has https_proxy" "https_proxy=http://10.231.0.1:8888" "$out"
  check_contains "agent has NO_PROXY for loopback only" "NO_PROXY=localhost,127.0.0.1,::1" "$out"
  check_contains "allowed host answers 200 through the proxy" "hello from the test internet
wget-allowed=0" "$out"
  check_contains "other host gets 403" "403 Forbidden" "$(sed -n '/--- blocked/,/wget-blocked/p' <<<"$out")"
  check_contains "direct TCP fails at once (no route)" "Network is unreachable" \
    "$(sed -n '/--- direct/,/nc=/p' <<<"$out")"
  check_contains "direct TCP: nc fails" "nc=1" "$out"
  check_fails "DNS to the test resolver fails" grep -q "dns=0" <<<"$out"
  check_fails "DNS through the agent's resolv.conf fails" grep -q "resolv=0" <<<"$out"
  check_contains "the agent has lo and eth0 only" "eth0 lo" "$(sed -n '/--- ifaces/,$p' <<<"$out")"
  check_fails "the agent has no default route" grep -q "^default" <<<"$out"
  queries=$(cat "$INTERNET_DNS_COUNT")
  check_fails "no agent DNS query reached the test DNS" grep -q agent- <<<"$queries"
  check_fails "the blocked name was never resolved" grep -q blocked.test <<<"$queries"
  check_eq "the test DNS saw only the sidecar's lookup of the allowed name" "example.test" "$queries"
}

# engines_cleanup exits with the status it was entered with: keep the test's.
_engine_bottled_cleanup() {
  local rc=$?
  declare -F engine_bottled_pre_cleanup >/dev/null && engine_bottled_pre_cleanup
  internet_down
  (exit "$rc")
  engines_cleanup
}

nname() {
  python3 - "$ROOT" "$1" <<'PY'
import sys
h = 1469598103934665603
for ch in (sys.argv[1] + "/" + sys.argv[2]).encode():
    h = ((h ^ ch) * 1099511628211) & (2**64 - 1)
print("%016x" % h)
PY
}

sidecar_pid() {
  "$BOTTLE" --root "$ROOT/.bottle/$1/state" state sidecar |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}

names=()
track() { names+=("$(nname "$1")"); }

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

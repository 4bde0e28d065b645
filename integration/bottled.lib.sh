# Shared setup for end-to-end tests of bottled containers: a test internet, the pipelock test
# double as the sidecar bundle, busybox agent bundles, a bottle.json, and exact before/after
# snapshots. Used by integration/bottled_*.sh; source it, then call bottled_setup.
#
#   bottled_setup TAG [host]
#       Needs root, $BUILD/bottle, $BUILD/bottle-run, $BUILD/tests/testdns, busybox-static, python3
#       (skips, exit 77, otherwise). Sets a trap on EXIT (bottled_cleanup; a test that needs its own
#       trap calls bottled_cleanup from it) and makes:
#         BT          private directory (mktemp) for everything below
#         BT_ROOT     the --root of every bottle command ($BT/root)
#         BT_HOST     a private netns (under /run/netns) that plays the host: bt, bt_run and
#                     bt_host run in it, so the uplink veths, the host "ip bottle" nft table and
#                     the per-link sysctls land where only this test sees them, and snapshots are
#                     exact while other tests run concurrently. It has a default route into a dead
#                     veth (nothing can leave) with forwarding already on (see below).
#                     With "host" as second argument BT_HOST is empty: everything runs in the
#                     machine's own netns (what dockerd/containerd see) and bt_snapshot keeps only
#                     the lines that name this test's bottles (their link hashes).
#         BT_SIDECAR  the pipelock test double bundle (tests/pipelock-double/make-bundle.sh, built
#                     once per version of its sources into $BUILD/test-cache/, shared read-only:
#                     each bottle gets its own overlay)
#         BT_CONF     $BT/bottle.json: mode bottled, sidecar.bundle = BT_SIDECAR,
#                     sidecar.ready_timeout_ms 10000, egress.default_allowlist ["example.test"],
#                     network.dns [INTERNET_IP], profile "extra" allowing INTERNET_IP itself (by
#                     address: the test DNS knows only example.test)
#       and the test internet (tests/internet.lib.sh) linked to BT_HOST: INTERNET_IP serves HTTP on
#       :80 ("hello from the test internet") and counting DNS on :53 (example.test only; any other
#       name is NXDOMAIN). INTERNET_DNS_COUNT lists every query name: blocked names and the agent's
#       own lookups must never appear there.
#   bottled_config FILE [PYTHON]   writes FILE = BT_CONF edited by a Python statement over `c`
#                     (the dict), e.g. bottled_config "$BT/slow.json" 'c["sidecar"]["ready_timeout_ms"]=50'
#   bottled_agent DIR [args...]    a busybox agent bundle (tests/bundle.lib.sh make_bundle) with
#                     cgroupsPath /bottle-test/<basename DIR>-$$ (one bundle per concurrent container)
#   bt ARGS...        $BOTTLE --root $BT_ROOT --config $BT_CONF ARGS... in BT_HOST
#                     (BT_CONFIG_FILE=F bt ... uses another config file)
#   bt_run ARGS...    $BUILD/bottle-run --root $BT_ROOT --config $BT_CONF ARGS... in BT_HOST
#                     (the id it picks is in its first line: "bottle plan for bottle-run-PID")
#   bt_host CMD...    run CMD in BT_HOST
#   bt_track ID...    remember container ids: bt_snapshot looks for what they can leave, and
#                     bottled_cleanup deletes them. Track every id before the "before" snapshot is
#                     compared (an id tracked later adds nothing to an old snapshot: its names did
#                     not exist then).
#   bt_netns_name ID  the 16-hex name bottle gives netns/ for ID under BT_ROOT (netns bind mounts
#                     /run/bottle/netns/<name>-a|-s, record <name>.rec; without an agent
#                     cgroupsPath, sidecar cgroup bottle/<name>-sidecar)
#   bt_link_hash ID   the 10-hex hash in its link names (btlh<hash>, btla<hash>) and nft comments
#   bt_agent_netns ID the agent netns bind mount of a created bottle
#   bt_snapshot       what a bottle can leave on the machine: links, addresses, routes, nft
#                     ruleset, net sysctls of BT_HOST; for tracked ids their /run/bottle/netns
#                     entries, netns-state records and cgroup dirs; agent cgroups of bottled_agent
#                     bundles; mounts under BT; live processes in those cgroups or with their root
#                     under BT; files under BT_ROOT. Compare two with check_same.
#   check_same WHAT BEFORE AFTER   like check_eq, printing a diff
#   bottled_cleanup   deletes every container under BT_ROOT and every tracked id (--force), bottle
#                     gc, the internet, BT_HOST, leftover mounts under BT, BT
#
# Names: everything carries TAG and $$, so several tests (and engineers) can run at once. No
# packet leaves toward anything but the test internet's TEST-NET-2 /29.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"
. "$BOTTLE_TOP/tests/internet.lib.sh"
. "$BOTTLE_TOP/tests/bundle.lib.sh"

BOTTLE_RUN=${BOTTLE_RUN:-$BUILD/bottle-run}
BT= BT_ROOT= BT_HOST= BT_SIDECAR= BT_CONF= BT_CONFIG_FILE=
_bt_ids=() _bt_names=() _bt_hashes=()

bottled_setup() {
  local tag=$1 where=${2:-private} t
  need_root
  for t in ip nsenter nft busybox python3 ss flock sha256sum; do
    command -v "$t" >/dev/null || skip "needs $t"
  done
  [ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
  [ -x "$BOTTLE_RUN" ] || skip "bottle-run not built ($BOTTLE_RUN)"
  [ -x "$BUILD/tests/testdns" ] || skip "testdns not built ($BUILD/tests/testdns)"
  _find_busybox || skip "busybox-static not installed"
  BT=$(mktemp -d "/tmp/bottled-$tag.XXXXXX")
  BT_ROOT=$BT/root
  trap bottled_cleanup EXIT
  if [ "$where" = host ]; then
    BT_HOST=
  else
    BT_HOST=bthost-$tag-$$
    ip netns add "$BT_HOST" || exit 1
    # A new netns copies the real host's IPv4 settings: start from a fresh host's.
    bt_host sysctl -qw net.ipv4.ip_forward=0
    bt_host ip link set lo up
    # Forwarding is on from the start: netns/ records and restores the upstream interfaces'
    # forwarding in the state dir all bottles of the machine share, so a lease held by another
    # test's bottle (in another netns) would delay the restore here and make snapshots differ.
    bt_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    bt_host ip link add fakeup type veth peer name fakeup-peer
    bt_host sysctl -qw net.ipv4.conf.fakeup.forwarding=1
    bt_host ip link set fakeup up
    bt_host ip addr add 192.0.2.1/30 dev fakeup
    bt_host ip route add default via 192.0.2.2 dev fakeup
  fi
  internet_up "$tag" "$BT_HOST" || exit 1
  _bt_sidecar_bundle || exit 1
  python3 - "$BT/bottle.json" "$BT_SIDECAR" "$INTERNET_IP" <<'PY'
import json, sys
path, sidecar, dns = sys.argv[1:4]
c = {
  "mode": "bottled",
  "sidecar": {"bundle": sidecar, "ready_timeout_ms": 10000},
  "egress": {"default_allowlist": ["example.test"]},
  "bottles": {"extra": {"egress": {"allowlist": [dns]}}},
  "network": {"dns": [dns]},
}
json.dump(c, open(path, "w"), indent=2)
PY
  BT_CONF=$BT/bottle.json
}

# The test double's bundle, built once per version of its sources (gcc -static takes seconds).
_bt_sidecar_bundle() {
  local src=$BOTTLE_TOP/tests/pipelock-double hash dir tmp
  hash=$(cat "$src"/*.c "$src"/*.h "$src/make-bundle.sh" 2>/dev/null | sha256sum | cut -c1-16)
  dir=$BUILD/test-cache/pipelock-bundle-$hash
  if [ ! -x "$dir/rootfs/pipelock" ]; then
    mkdir -p "$BUILD/test-cache" || return 1
    tmp=$(mktemp -d "$BUILD/test-cache/pipelock-bundle-tmp.XXXXXX")
    if ! "$src/make-bundle.sh" "$tmp" >"$tmp.log" 2>&1; then
      cat "$tmp.log" >&2
      rm -rf "$tmp" "$tmp.log"
      return 1
    fi
    rm -f "$tmp.log"
    chmod 755 "$tmp"
    # Another test may have built it meanwhile: keep theirs.
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  fi
  BT_SIDECAR=$dir
}

bottled_config() {
  local file=$1 expr=${2:-}
  python3 - "$BT_CONF" "$file" "$expr" <<'PY'
import json, sys
src, dst, expr = sys.argv[1:4]
c = json.load(open(src))
exec(expr)
json.dump(c, open(dst, "w"), indent=2)
PY
}

bottled_agent() {
  local dir=$1
  shift
  make_bundle "$dir" "$@"
  # Short ids under BT_ROOT: cgroup per agent bundle, unique per test process.
  bundle_edit "$dir" "c['linux']['cgroupsPath'] = '/bottle-test/$(basename "$dir")-$$'"
}

# agent_probe: a script for `sh -c` that a bottled agent runs as its main process (IP: the test
# internet's host): proxy env, allowed and blocked requests, a direct connection, DNS, links.
# check_agent_probe WHAT RC OUT [WANT_RC]: the checks on its output and on the test DNS's log,
# which must hold nothing but the sidecar's lookup of the allowed name.
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
  local what=$1 rc=$2 out=$3 want_rc=${4:-0} queries
  echo "$out"
  check_eq "$what of a bottled agent exits $want_rc" "$want_rc" "$rc"
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

bt_host() { if [ -n "$BT_HOST" ]; then nsenter --net="/run/netns/$BT_HOST" "$@"; else "$@"; fi; }
bt() { bt_host "$BOTTLE" --root "$BT_ROOT" --config "${BT_CONFIG_FILE:-$BT_CONF}" "$@"; }
bt_run() { bt_host "$BOTTLE_RUN" --root "$BT_ROOT" --config "${BT_CONFIG_FILE:-$BT_CONF}" "$@"; }

bt_netns_name() {
  python3 - "$BT_ROOT" "$1" <<'PY'
import sys
h = 1469598103934665603
for ch in (sys.argv[1] + "/" + sys.argv[2]).encode():
    h = ((h ^ ch) * 1099511628211) & (2**64 - 1)
print("%016x" % h)
PY
}

bt_link_hash() {
  python3 - "$(bt_netns_name "$1")" <<'PY'
import sys
h = 14695981039346656037
for ch in sys.argv[1].encode():
    h = ((h ^ ch) * 1099511628211) & (2**64 - 1)
print("%010x" % (h >> 24))
PY
}

bt_agent_netns() { echo "/run/bottle/netns/$(bt_netns_name "$1")-a"; }

# Processes that belong to this test's bottles: rootfs or cwd under $BT, or a pipelock argv
# whose root is under $BT. The test's own shells and tools have neither.
# Processes of this test's bottles, found by cgroup: a bottled_agent lives in bottle-test/<dir>-$$,
# its sidecar in bottle-test/<dir>-$$-bottle-sidecar, the sidecar of an agent without a
# cgroupsPath in bottle/<name>-sidecar (after pivot_root their /proc/PID/root reads "/").
# Also any process whose root is under $BT. Zombies are dead: pid 1 reaps them when it will.
_bt_procs() {
  python3 - "$BT" "$$" "${_bt_names[@]}" <<'PY'
import os, re, sys
top, pid_tag, names = sys.argv[1] + "/", sys.argv[2], sys.argv[3:]
agent = re.compile(r"/bottle-test/[^/\n]*-%s(-bottle-sidecar)?(/|$)" % pid_tag, re.M)
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        stat = open(f"/proc/{p}/stat").read()
        if stat[stat.rindex(")") + 2] in "ZX":
            continue
        cg = open(f"/proc/{p}/cgroup").read()
        root = os.readlink(f"/proc/{p}/root")
        cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError, IndexError):
        continue
    hit = [n for n in names if f"/bottle/{n}-sidecar" in cg]
    if hit or agent.search(cg) or root.startswith(top):
        path = next((l.split(":", 2)[2] for l in cg.splitlines() if "bottle" in l), "")
        print(f"proc cgroup={path} {cmd}")
PY
}

_bt_host_state() {
  bt_host ip -o link show | sed 's/ state [A-Z]*//; s/ qlen [0-9]*//' | awk '{$1=""; print}'
  bt_host ip -o addr show
  bt_host ip route show table all
  bt_host nft list ruleset
  bt_host sysctl net.ipv4.ip_forward net.ipv4.conf net.ipv6.conf 2>/dev/null
}

bt_snapshot() {
  if [ -n "$BT_HOST" ]; then
    _bt_host_state
  elif [ "${#_bt_hashes[@]}" -gt 0 ]; then
    # The machine's own netns changes under other tests: keep what names this test's bottles.
    _bt_host_state | grep -F "$(printf '%s\n' "${_bt_hashes[@]}")"
  fi
  if [ "${#_bt_names[@]}" -gt 0 ]; then
    local names
    names=$(printf '%s\n' "${_bt_names[@]}")
    ls /run/bottle/netns 2>/dev/null | grep -F "$names" | sed 's/^/netns /'
    ls /run/bottle/netns-state 2>/dev/null | grep -F "$names" | sed 's/^/netns-state /'
    ls -d /sys/fs/cgroup/*/bottle/* /sys/fs/cgroup/bottle/* 2>/dev/null | grep -F "$names" | sed 's/^/cgroup /'
  fi
  ls -d /sys/fs/cgroup/*/bottle-test/*-$$ /sys/fs/cgroup/bottle-test/*-$$ /sys/fs/cgroup/*/bottle-test/*-$$-bottle-sidecar \
    /sys/fs/cgroup/bottle-test/*-$$-bottle-sidecar 2>/dev/null | sed 's/^/cgroup /'
  grep -F " $BT/" /proc/self/mountinfo | awk '{print "mount " $5}'
  _bt_procs
  find "$BT_ROOT" -mindepth 1 2>/dev/null | sed 's/^/file /' | sort
}

# bt_flip_link LINK A B: in the background, swaps the symlink LINK between A and B as fast as
# the machine lets it (a race's attacker, for checks made on a path and uses made later); the
# swapper's pid goes to BT_FLIPPER.
bt_flip_link() {
  python3 - "$@" <<'PY' &
import os, sys, time
link, a, b = sys.argv[1:]
i = 0
while True:
    os.symlink(a if i % 2 == 0 else b, link + ".new")
    os.rename(link + ".new", link)
    i += 1
    time.sleep(0.0002)  # the machine's other core is shared
PY
  BT_FLIPPER=$!
}

# bt_track ID: remember an id so that bt_snapshot looks for its names and cleanup deletes it.
# bt_init_pid ID, bt_sidecar_pid ID: the pid of container ID's init, of its sidecar (0 when none).
_bt_state_pid() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pid'])" "$1" 2>/dev/null || echo 0; }
bt_init_pid() { _bt_state_pid "$BT_ROOT/$1/bottle.json"; }
bt_sidecar_pid() { _bt_state_pid "$BT_ROOT/.bottle/$1/state/sidecar/bottle.json"; }
bt_track() {
  [ $# -gt 0 ] || return 0
  _bt_ids+=("$@")
  local name hash
  while read -r name hash; do
    _bt_names+=("$name")
    _bt_hashes+=("$hash")
  done < <(python3 - "$BT_ROOT" "$@" <<'PY'
import sys
def fnv(data, h=14695981039346656037):
    for ch in data.encode():
        h = ((h ^ ch) * 1099511628211) & (2**64 - 1)
    return h
for cid in sys.argv[2:]:
    name = "%016x" % fnv(sys.argv[1] + "/" + cid, 1469598103934665603)
    print(name, "%010x" % (fnv(name) >> 24))
PY
)
}

check_same() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; diff <(echo "$2") <(echo "$3") | head -30; fi
}

bottled_cleanup() {
  local id
  if [ -n "$BT_ROOT" ] && { [ -z "$BT_HOST" ] || [ -e "/run/netns/$BT_HOST" ]; }; then
    for id in $(bt list -q 2>/dev/null) "${_bt_ids[@]}"; do
      bt delete --force "$id" >/dev/null 2>&1
    done
    bt gc >/dev/null 2>&1
  fi
  internet_down
  [ -n "$BT_HOST" ] && ip netns del "$BT_HOST" 2>/dev/null
  if [ -n "$BT" ]; then
    grep -F " $BT/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$BT"
  fi
  return 0
}

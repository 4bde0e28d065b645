#!/usr/bin/env bash
# threats.md §7.3 rows 36 (namespace config in the bundle) and 37 (procfs and sysctl writes)
# with `bottle run` in own-uplink mode and the pipelock test double.
#
# Row 36: a config.json without a network namespace (host network), or one joining another
# process's netns through /proc/<pid>/ns/net, must fail create with a clear error and leave
# nothing. "Another process" is a sleep in a netns this test creates (never the real host's:
# spellings the runtime might not recognise are only tried against that victim netns).
#
# Row 37, what must hold:
#  - /proc/sys is read-only in the agent, whatever the bundle's readonlyPaths say;
#  - a bundle linux.sysctl may change the agent netns only: net.ipv4.ip_forward=1 there
#    forwards nothing (the agent netns has lo and one veth, no second interface and no
#    route), the sidecar netns keeps forwarding off globally (ip_forward, conf.all) and
#    forwards only on its two links behind the bottle's forward chain, which passes nothing
#    the agent originates (network.inbound "tcp", the default), or not at all with
#    network.inbound "none"; the host is unchanged, and direct egress still fails with
#    ENETUNREACH;
#  - a sysctl that would weaken the topology (IPv6 back on) is refused, or leaves the agent
#    without any IPv6 address.
source "$(dirname "$0")/threats.lib.sh"
threats_setup conf

run_fails() { # ID -> output of a `bottle run` expected to fail; "exit: N" last
  (cd "$BT/$1" && bt run "$1" </dev/null 2>&1)
  echo "exit: $?"
}
# netns_path_run ID PATH: a `bottle run` of an agent whose network namespace is PATH (expected
# to fail); sets out to its output and before to the host's snapshot taken just before.
netns_path_run() {
  bottled_agent "$BT/$1" true
  bundle_edit "$BT/$1" "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network':
        ns['path'] = '$2'"
  bt_track "$1"
  before=$(bt_snapshot)
  out=$(run_fails "$1")
}
left_behind() { # ID: what a failed create left (empty = nothing)
  local id=$1 n
  n=$(bt_netns_name "$id")
  bt list -q | grep -Fx "$id"
  [ -e "$BT_ROOT/.bottle/$id" ] && echo "state dir $BT_ROOT/.bottle/$id"
  ls /run/bottle/netns /run/bottle/netns-state 2>/dev/null | grep -F "$n"
  find /sys/fs/cgroup -maxdepth 4 -name "$n*" 2>/dev/null
}

# --- row 36a: no network namespace (host network)
bottled_agent "$BT/hostnet" true
bundle_edit "$BT/hostnet" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
bt_track hostnet
before=$(bt_snapshot)
out=$(run_fails hostnet)
check_fails "row 36: host network refused ($out)" grep -q "^exit: 0$" <<<"$out"
check_contains "row 36: the error names the field and the fix" \
  "linux.namespaces: a bottled container needs its own network namespace" "$out"
check_eq "row 36: host network: nothing left behind" "" "$(left_behind hostnet)"
check_same "row 36: host network: the host is unchanged" "$before" "$(settle bt_snapshot "$before")"

# --- row 36b: joining another process's netns
victim=victim-conf-$$
ip netns add "$victim"
trap 'ip netns del "$victim" 2>/dev/null; threats_cleanup' EXIT
t_bg nsenter --net="/run/netns/$victim" sleep 600
vpid=${_t_pids[-1]}
for i in $(seq 50); do [ "$(readlink /proc/$vpid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05; done
# Forwarding on, as in a host or router netns: a bottle that joined it would turn it off.
nsenter --net="/run/netns/$victim" sysctl -qw net.ipv4.ip_forward=1
victim_before=$(nsenter --net="/run/netns/$victim" sh -c 'ip -o link; nft list ruleset; sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.all.rp_filter')
n=0
for path in "/proc/$vpid/ns/net" "/proc/$vpid/task/$vpid/ns/net" "/proc/$vpid/ns/../ns/net" \
  "//proc/$vpid/ns/net" "/proc/./$vpid/ns/net" "/proc/$vpid/root/proc/$vpid/ns/net" \
  "$BT/nslink"; do
  n=$((n + 1))
  id=join$n
  ln -sfn "/proc/$vpid/ns/net" "$BT/nslink"
  netns_path_run "$id" "$path"
  if grep -q "^exit: 0$" <<<"$out"; then
    fail "row 36: network path $path (= victim's /proc/$vpid/ns/net) was accepted: $(tr '\n' ' ' <<<"$out" | cut -c1-200)"
  else
    check_contains "row 36: network path $path refused as another process's netns" \
      "joins another process's network namespace" "$out"
  fi
  bt delete --force "$id" >/dev/null 2>&1
  check_eq "row 36: $path: nothing left behind" "" "$(left_behind "$id")"
  check_same "row 36: $path: the host is unchanged" "$before" "$(settle bt_snapshot "$before")"
done
check_same "row 36: the victim netns is unchanged (links, nft, forwarding, rp_filter)" "$victim_before" \
  "$(nsenter --net="/run/netns/$victim" sh -c 'ip -o link; nft list ruleset; sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.all.rp_filter')"

# --- row 36c: the runtime's own ("host") netns by another spelling: a bind-mount path (what
# docker 20.10 passes for --network host) or a /proc path the pattern check does not know.
# bottle runs in BT_HOST (the test's stand-in host), so these point at BT_HOST.
t_bg nsenter --net="/run/netns/$BT_HOST" sleep 600
hpid=${_t_pids[-1]}
for i in $(seq 50); do [ "$(readlink /proc/$hpid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05; done
n=0
for path in "/run/netns/$BT_HOST" "//proc/$hpid/ns/net"; do
  n=$((n + 1))
  id=hostpath$n
  netns_path_run "$id" "$path"
  check_fails "row 36: network path $path = the runtime's own netns refused ($(tr '\n' ' ' <<<"$out" | cut -c1-160))" \
    grep -q "^exit: 0$" <<<"$out"
  bt delete --force "$id" >/dev/null 2>&1
  check_eq "row 36: $path: nothing left behind" "" "$(left_behind "$id")"
  check_same "row 36: $path: the host is unchanged" "$before" "$(settle bt_snapshot "$before")"
done

# --- row 37: /proc/sys writes from the agent
threats_agent ro || { fail "bottle run -d ro"; finish; exit; }
out=$(tsh ro 'echo 1 > /proc/sys/net/ipv4/ip_forward')
check_contains "row 37: /proc/sys read-only (ip_forward)" "Read-only file system" "$out"
out=$(tsh ro 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6')
check_contains "row 37: /proc/sys read-only (disable_ipv6)" "Read-only file system" "$out"
out=$(tx ro mount -o remount,rw /proc/sys)
check_fails "row 37: remount /proc/sys rw fails ($out)" tsh ro 'grep -q " /proc/sys proc rw" /proc/self/mounts'

# A bundle without /proc/sys in readonlyPaths: the agent is root in its netns, and net
# sysctls let root write without CAP_NET_ADMIN, so only a read-only /proc/sys stops it.
threats_agent rw 'c["linux"]["readonlyPaths"] = [p for p in c["linux"]["readonlyPaths"] if p != "/proc/sys"]' ||
  { fail "bottle run -d rw"; finish; exit; }
out=$(tsh rw 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo written; cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6')
check_fails "row 37: /proc/sys read-only even when the bundle does not ask ($out)" grep -q written <<<"$out"
out=$(tsh rw 'echo 1 > /proc/sys/net/ipv4/ip_forward && echo written')
check_fails "row 37: ip_forward not writable when the bundle does not ask ($out)" grep -q written <<<"$out"
check_eq "row 37: ... and whatever was written, the agent has no IPv6 address" "" "$(tx rw ip -6 -o addr show scope link)"
check_eq "row 37: ... and direct egress is still ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(tx rw probe tcp4 "$INTERNET_IP" 80)"

# A bundle linux.sysctl that turns forwarding on.
# fwd_of ID: the sidecar netns's ip_forward, conf.all, the bottle's link's and uplink0's forwarding
fwd_of() {
  nsenter --net="$(t_sidecar_ns "$1")" sh -c 'cd /proc/sys/net/ipv4 &&
    echo $(cat ip_forward conf/all/forwarding conf/btla$0/forwarding conf/uplink0/forwarding)' \
    "$(bt_link_hash "$1")"
}
bottled_config "$BT/closed.json" "c['network']['inbound'] = 'none'"
host_fwd=$(bt_host sysctl -n net.ipv4.ip_forward)
threats_agent fwd 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.forwarding": "1"}'
rc=$?
if [ $rc -ne 0 ]; then
  check_contains "row 37: sysctl ip_forward=1 refused with a clear error" "sysctl" "$(cat "$BT/fwd.run.log")"
else
  ok "row 37: sysctl ip_forward=1 accepted for the agent netns only (documented above)"
  check_eq "row 37: agent netns: only lo and eth0 (nothing to forward between)" "eth0 lo" \
    "$(tx fwd ls /sys/class/net | sort | tr '\n' ' ' | sed 's/ $//')"
  check_eq "row 37: agent netns: no route but the /30" "10.231.0.0/30" \
    "$(tx fwd ip -4 route | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
  check_eq "row 37: sidecar netns: forwarding off globally, on for its two links only (inbound)" \
    "0 0 1 1" "$(fwd_of fwd)"
  check_eq "row 37: the host's ip_forward is unchanged" "$host_fwd" "$(bt_host sysctl -n net.ipv4.ip_forward)"
  check_eq "row 37: direct egress still ENETUNREACH" \
    "tcp4: ENETUNREACH (Network is unreachable)" "$(tx fwd probe tcp4 "$INTERNET_IP" 80)"
fi
# The sidecar netns of an agent (rw) with network.inbound "tcp", the default: forwarding off
# globally, on for the bottle's link and uplink0 only, behind the bottle's forward chain; with
# "none" (fwdn) off everywhere.
check_eq "row 37: sidecar netns: forwarding off globally, on for its two links only (inbound)" \
  "0 0 1 1" "$(fwd_of rw)"
fw=$(nsenter --net="$(t_sidecar_ns rw)" nft list chain inet "bottle_$(bt_link_hash rw)" forward)
check_contains "row 37: ... behind a forward chain with policy drop" "policy drop;" "$fw"
check_eq "row 37: ... that passes from the agent's link only replies of inbound connections" \
  "iifname \"btla$(bt_link_hash rw)\" ip saddr 10.231.0.2 ct direction reply ct status dnat accept" \
  "$(grep -o "iifname \"btla$(bt_link_hash rw)\" .*accept" <<<"$fw" | sed 's/^ *//')"
if BT_CONFIG_FILE=$BT/closed.json threats_agent fwdn; then
  check_eq "row 37: network.inbound none: nothing forwards in the sidecar netns" "0 0 0 0" \
    "$(fwd_of fwdn)"
else
  fail "row 37: bottle run -d fwdn (network.inbound none)"
fi

# A bundle linux.sysctl that turns IPv6 back on in the agent netns.
for key in net.ipv6.conf.all.disable_ipv6 net.ipv6.conf.eth0.disable_ipv6 net.ipv6.conf.default.disable_ipv6; do
  id=v6${key//[^a-z0-9]/}
  id=${id:0:20}
  if threats_agent "$id" "c['linux']['sysctl'] = {'$key': '0'}"; then
    v6=$(tx "$id" ip -6 -o addr)
    check_eq "row 37: sysctl $key=0: the agent still has no IPv6 address" "" "$v6"
    if [ -n "$v6" ] && [ "$key" = net.ipv6.conf.all.disable_ipv6 ]; then # how far does it get
      for i in $(seq 40); do tx "$id" ip -6 addr | grep -q tentative || break; sleep 0.1; done
      out=$(tx "$id" probe tcp6 "$(t_sidecar_ll "$id")" eth0 8888)
      check_fails "row 37 impact: IPv6 on, TCP to the sidecar's link-local still fails ($out)" \
        test "$out" = "tcp6: ok"
      check_eq "row 37 impact: the sidecar's end still has no IPv6 address" "" \
        "$(nsenter --net="$(t_sidecar_ns "$id")" ip -6 -o addr show scope link)"
    fi
  else
    check_contains "row 37: sysctl $key=0 refused with a clear error" "$key" "$(cat "$BT/$id.run.log")"
  fi
done
finish

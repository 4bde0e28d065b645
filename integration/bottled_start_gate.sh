#!/usr/bin/env bash
# Issue 9, item 9: the start gate. Between create and start each invariant of the boundary is
# broken on purpose from the host; start must then fail with one line naming it, the agent's
# first instruction must not have run, the container stays created, and delete leaves nothing.
# The invariants: agent links (lo and bottle's link only), agent routes (the link's own only),
# agent IPv6 (off), sidecar forwarding (off; the link's own only with network.inbound "none"),
# sidecar filter (the bottle's table inet bottle_<hash> as built: only the proxy port, and the
# replies of inbound connections; a rule added to its inbound chain), proxy health (/health says mode strict and forward_proxy_enabled true; the
# double runs with --mode audit or --test-forward-proxy false). A normal start still works.
#
# Issue 9, item 11: create waits for the proxy. With a double that listens 1.5 s late, the
# double's "pipelock started" line (logged right after listen) is in the sidecar log when
# create returns, and one immediate probe from the agent netns gets /health (order, not time).
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup gate
bottled_agent "$BT/agent" sh -c 'echo ran >/ran; exec sleep 600'
args='["/pipelock", "run", "--listen", "{listen}", "--config", "/etc/pipelock.yaml"'
bottled_config "$BT/audit.json" "c['sidecar']['args'] = $args, '--mode', 'audit']"
bottled_config "$BT/nofwd.json" "c['sidecar']['args'] = $args, '--test-forward-proxy', 'false']"
bottled_config "$BT/late.json" "c['sidecar']['args'] = $args, '--test-listen-delay-ms', '1500']"
bottled_config "$BT/closed.json" "c['network']['inbound'] = 'none'"
before=$(bt_snapshot)
n=0

# gate_fails WHAT INVARIANT BREAK...: create, run BREAK (with $A and $S, the agent and sidecar
# netns, $L the sidecar's link), start must fail naming INVARIANT.
gate_fails() {
  local what=$1 invariant=$2 id out
  shift 2
  n=$((n + 1))
  id=gate-$n-$$
  bt_track "$id"
  rm -f "$BT/agent/rootfs/ran"
  if ! bt create --bundle "$BT/agent" "$id" >"$BT/out" 2>&1 </dev/null; then
    fail "$what: create"
    cat "$BT/out"
    return
  fi
  A=$(bt_agent_netns "$id")
  S=/run/bottle/netns/$(bt_netns_name "$id")-s
  L=btla$(bt_link_hash "$id")
  T=bottle_$(bt_link_hash "$id")
  check "$what: break it" "$@"
  bt start "$id" >"$BT/out" 2>&1
  check "$what: start fails" test $? -ne 0
  out=$(cat "$BT/out")
  echo "$what: $out"
  check_contains "$what: the error names the invariant" "start gate: $invariant: " "$out"
  check_eq "$what: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$what: the agent's first instruction did not run" test -e "$BT/agent/rootfs/ran"
  check_contains "$what: the container stays created" '"status": "created"' "$(bt state "$id")"
  check "$what: delete" bt delete --force "$id"
  check_same "$what: nothing left" "$before" "$(settle bt_snapshot "$before")"
}
ans() { nsenter --net="$A" "$@"; }
sns() { nsenter --net="$S" "$@"; }

gate_fails "a default route in the agent netns" "agent routes" ans ip route add default via 10.231.0.1 dev eth0
gate_fails "a route in another table" "agent routes" ans ip route add 198.51.100.0/24 via 10.231.0.1 dev eth0 table 100
gate_fails "a second link in the agent netns" "agent links" ans ip link add gate0 type veth peer name gate1
gate_fails "IPv6 on in the agent netns (all)" "agent IPv6" ans sysctl -qw net.ipv6.conf.all.disable_ipv6=0
gate_fails "IPv6 on for eth0" "agent IPv6" ans sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
tdel() { sns nft delete table inet "$T"; }
gate_fails "the sidecar's nft table deleted" "sidecar filter" tdel
tflush() { sns nft flush table inet "$T"; }
gate_fails "the sidecar's nft table flushed" "sidecar filter" tflush
opened() { sns nft insert rule inet "$T" agent_in iifname "$L" accept; }
gate_fails "a rule that opens every sidecar port" "sidecar filter" opened
fwd_out() { sns nft insert rule inet "$T" forward iifname "$L" accept; }
gate_fails "a rule that forwards what the agent sends" "sidecar filter" fwd_out
udp_in() { sns nft add rule inet "$T" inbound meta l4proto udp dnat ip to 10.231.0.2; }
gate_fails "a rule that forwards UDP to the agent" "sidecar filter" udp_in
gate_fails "forwarding on in the sidecar netns" "sidecar forwarding" sns sysctl -qw net.ipv4.ip_forward=1
fwd_link() { sns sysctl -qw "net.ipv4.conf.$L.forwarding=1"; }
BT_CONFIG_FILE=$BT/closed.json gate_fails "forwarding on for the sidecar's link (inbound none)" \
  "sidecar forwarding" fwd_link
BT_CONFIG_FILE=$BT/audit.json gate_fails "the proxy in mode audit" "proxy health" true
BT_CONFIG_FILE=$BT/nofwd.json gate_fails "the proxy's forward proxy off" "proxy health" true

# A normal start: the agent runs.
id=gate-ok-$$
bt_track "$id"
rm -f "$BT/agent/rootfs/ran"
bt create --bundle "$BT/agent" "$id" >"$BT/out" 2>&1 </dev/null
check "normal: create" test $? -eq 0
check "normal: start" bt start "$id"
for _ in $(seq 50); do [ -e "$BT/agent/rootfs/ran" ] && break; sleep 0.1; done
check "normal: the agent ran" test -e "$BT/agent/rootfs/ran"
check "normal: delete" bt delete --force "$id"
check_same "normal: nothing left" "$before" "$(settle bt_snapshot "$before")"

# Item 11: create returns only once the (late) proxy listens.
id=gate-late-$$
bt_track "$id"
BT_CONFIG_FILE=$BT/late.json bt create --bundle "$BT/agent" "$id" >"$BT/out" 2>&1 </dev/null
check "late proxy: create" test $? -eq 0
check_contains "late proxy: the double listened before create returned" '"pipelock started"' \
  "$(cat "$BT_ROOT/.bottle/$id/sidecar.log")"
check_contains "late proxy: one immediate probe from the agent netns gets /health" '"status":"healthy"' \
  "$(nsenter --net="$(bt_agent_netns "$id")" busybox wget -Y off -q -O- http://10.231.0.1:8888/health 2>&1)"
check "late proxy: delete" bt delete --force "$id"
check_same "late proxy: nothing left" "$before" "$(settle bt_snapshot "$before")"
finish

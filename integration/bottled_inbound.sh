#!/usr/bin/env bash
# Issue 11, network items, with `bottle` and the pipelock test double.
#
# An "engine" netns E (what a CNI or Docker gives a container: eth0 203.0.113.2/29 on a veth to
# the test's host, 203.0.113.1) holds two bottles, A then B (linux.namespaces network path =
# E). Each agent serves HTTP on :8080 (its name, and a CGI with the peer address it sees) and an
# echo on :9000.
#  - several bottles in one engine netns: each has its own table inet bottle_<hash>; deleting A
#    removes A's table only; B, started after A's delete, passes the start gate (its own rules
#    are read back) and its boundary still holds: a root agent that adds a default route, with
#    or without an inbound connection open, with a spoofed source (E's own address), reaches
#    nothing on the engine side; a packet routed to the agent's address from outside (not the
#    DNAT) is not forwarded.
#  - inbound (network.inbound "tcp", the default): the host's connection to E's address on
#    :8080 reaches A, then B once A is gone, with the source rewritten to the sidecar's link
#    address; the echo on :9000 answers (what the agent writes back
#    reaches whoever connected in: the documented exfiltration channel); a connection to the
#    proxy port is not handed to the agent; UDP is not forwarded.
#  - network.inbound "none" (own uplink): nothing reaches the agent from the host, the sidecar
#    link does not forward; an annotation may close inbound, never reopen it.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup inbound
NN=$BUILD/tests/test_netns
[ -x "$NN" ] || skip "$NN not built"
E=inb-e-$$
HV=inbh$$

canary=
inbound_cleanup() {
  [ -z "$canary" ] || { kill "$canary"; wait "$canary"; } 2>/dev/null
  # $canary is the shell that ran bt_host, not the httpd it started in the host netns
  pkill -f "httpd -f -p 203.0.113.1:80 -h $BT/canary"
  bottled_cleanup
  ip netns del "$E" 2>/dev/null
}
trap inbound_cleanup EXIT

ip netns add "$E" || exit 1
bt_host ip link add "$HV" type veth peer name eth0 netns "$E"
bt_host ip addr add 203.0.113.1/29 dev "$HV"
bt_host ip link set "$HV" up
ip netns exec "$E" sh -c 'ip link set lo up; ip link set eth0 up;
  ip addr add 203.0.113.2/29 dev eth0; ip route add default via 203.0.113.1'
# The engine side's own service, which no agent may reach.
mkdir -p "$BT/canary"
echo "engine side" >"$BT/canary/index.html"
bt_host busybox httpd -f -p 203.0.113.1:80 -h "$BT/canary" </dev/null >/dev/null 2>&1 &
canary=$!

# agent_bundle NAME: serves "agent NAME" on :8080, /cgi-bin/peer (the peer address), echo on :9000.
agent_bundle() {
  local d=$BT/$1
  bottled_agent "$d" sh -c 'nc -ll -p 9000 -e /bin/cat & exec httpd -f -p 8080 -h /www'
  ln -sf busybox "$d/rootfs/bin/httpd"
  ln -sf busybox "$d/rootfs/bin/nc"
  mkdir -p "$d/rootfs/www/cgi-bin"
  echo "agent $1" >"$d/rootfs/www/index.html"
  printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "peer $REMOTE_ADDR"\n' \
    >"$d/rootfs/www/cgi-bin/peer"
  chmod 755 "$d/rootfs/www/cgi-bin/peer"
}
in_engine() {
  bundle_edit "$BT/$1" "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network':
        ns['path'] = '/run/netns/$E'"
}
# start_d ID [create]: `bottle run -d` (or create) of the bundle $BT/ID, its output in
# $BT/ID.log (the agent keeps what it inherits open); started_b: `bottle start b`, likewise.
start_d() {
  local verb=${2:-run} flags=-d
  [ "$verb" = create ] && flags=
  # shellcheck disable=SC2086
  if ! bt "$verb" $flags --bundle "$BT/$1" "$1" </dev/null >"$BT/$1.log" 2>&1; then
    cat "$BT/$1.log"
    return 1
  fi
}
start_b() { bt start b </dev/null >"$BT/b.start.log" 2>&1 || { cat "$BT/b.start.log"; return 1; }; }
command -v curl >/dev/null || skip "needs curl"
from_host() { bt_host curl -sS -m 5 "http://$1" 2>&1; }
probe() { "$NN" probe "$@"; } # connected | refused | unreachable | timeout | ...
sidecar_ip() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sidecar_ip"])' \
    "$BT_ROOT/.bottle/$1/record.json"
}
tables() { ip netns exec "$E" nft list tables | sort | tr '\n' ' '; }

agent_bundle a
agent_bundle b
in_engine a
in_engine b
bt_track a b u n c o
before=$(bt_snapshot)
check "create and start A in the engine netns" start_d a
HA=$(bt_link_hash a)

# --- inbound reaches the agent, from the engine side, with the link's source
check_eq "inbound: the host reaches A's server at E's address" "agent a" \
  "$(from_host 203.0.113.2:8080/)"
check_contains "inbound: A sees its sidecar's link address as the peer" ":$(sidecar_ip a)]" \
  "$(from_host 203.0.113.2:8080/cgi-bin/peer)"
check_eq "inbound: what A writes back reaches the client (documented channel)" "echoed" \
  "$(echo echoed | bt_host busybox nc -w 2 203.0.113.2 9000)"
check_fails "inbound: the proxy port of E is not handed to the agent" \
  test "$(bt_host "$NN" probe tcp 203.0.113.2 8888)" = connected

check "create B in the same engine netns" start_d b create
HB=$(bt_link_hash b)
check_eq "each bottle has its own table" \
  "$(printf 'table inet bottle_%s\n' "$HA" "$HB" | sort | tr '\n' ' ')" "$(tables)"

# --- delete A: B's rules stay, B starts through the gate, inbound moves to B
check "delete A" bt delete --force a
check_eq "A's table is gone, B's stays" "table inet bottle_$HB " "$(tables)"
check "B starts (the start gate reads B's own rules back)" start_b
check_eq "inbound now reaches B" "agent b" "$(from_host 203.0.113.2:8080/)"

# --- B's boundary, tried by root in B's agent netns (a compromised agent with every capability)
AB=$(bt_agent_netns b)
SB=$(sidecar_ip b)
ab() { nsenter --net="$AB" "$@"; }
check "attack: a default route via the sidecar in B's agent netns" ab ip route add default via "$SB"
out=$(ab "$NN" probe tcp 203.0.113.1 80)
check_fails "attack: B's agent reaches no engine-side service ($out)" test "$out" = connected
out=$(ab "$NN" probe tcp 203.0.113.2 8080)
check_fails "attack: B's agent cannot loop back in through E's address ($out)" test "$out" = connected
# with an inbound connection open: a client of the host holds the echo of B
bt_host sh -c 'sleep 20 | busybox nc 203.0.113.2 9000 >/dev/null' &
holder=$!
for _ in $(seq 100); do
  bt_host ss -Htn state established dst 203.0.113.2:9000 | grep -q . && break
  sleep 0.05
done
check "an inbound connection is open" bt_host sh -c 'ss -Htn state established dst 203.0.113.2:9000 | grep -q .'
out=$(ab "$NN" probe tcp 203.0.113.1 80)
check_fails "attack with the inbound connection open: still nothing engine-side ($out)" \
  test "$out" = connected
out=$(ab "$NN" probe tcp 203.0.113.1 9000)
check_fails "attack with the inbound connection open: nothing to the client's host ($out)" \
  test "$out" = connected
# a spoofed source: E's own address
ab ip addr add 203.0.113.2/32 dev eth0
ab ip route replace default via "$SB" src 203.0.113.2
out=$(ab "$NN" probe tcp 203.0.113.1 80)
check_fails "attack: a spoofed source (E's address) reaches nothing engine-side ($out)" \
  test "$out" = connected
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
# a packet routed to the agent's own address from the engine side is not the DNAT: dropped
bt_host ip route add 10.231.0.0/24 via 203.0.113.2
out=$(bt_host "$NN" probe tcp "$(nsenter --net="$AB" ip -4 -o addr show dev eth0 |
  awk '{split($4, a, "/"); print a[1]; exit}')" 8080)
check_fails "attack: the agent's address routed through E is not forwarded ($out)" \
  test "$out" = connected
# The link address is the agent's way to its proxy, nobody else's: an engine-side peer that
# routes to it (a neighbour on the bridge, the host) must not get B's pipelock (its requests
# would be logged as the agent's), nor the agent through it.
out=$(bt_host "$NN" probe tcp "$SB" 8888)
check_fails "attack: the engine side reaches B's proxy at the link address ($out)" \
  test "$out" = connected
out=$(bt_host "$NN" probe tcp "$SB" 8080)
check_fails "attack: the link address is no way in to the agent ($out)" test "$out" = connected
bt_host ip route del 10.231.0.0/24 via 203.0.113.2
out=$(bt_host "$NN" probe udp 203.0.113.2 8080)
check_fails "UDP from the engine side is not forwarded ($out)" test "$out" = reply
check_eq "control: the engine-side service answers the host (the attacks were refused, not missed)" \
  "engine side" \
  "$(from_host 203.0.113.1:80/)"
check "delete B" bt delete --force b
check_eq "B's table is gone too" "" "$(tables)"

# --- own uplink (bottle run's default): inbound from the host, then network.inbound "none"
agent_bundle u
check "create and start U (own uplink)" start_d u
UP=$(nsenter --net="/run/bottle/netns/$(bt_netns_name u)-s" ip -4 -o addr show dev uplink0 |
  awk '{split($4, a, "/"); print a[1]; exit}')
check_eq "own uplink: the host reaches U's server at the sidecar's uplink address" "agent u" \
  "$(from_host "$UP:8080/")"
check "delete U" bt delete --force u

bottled_config "$BT/closed.json" "c['network']['inbound'] = 'none'"
agent_bundle n
BT_CONFIG_FILE=$BT/closed.json check "create and start N with network.inbound none" \
  start_d n
NS=/run/bottle/netns/$(bt_netns_name n)-s
UP=$(nsenter --net="$NS" ip -4 -o addr show dev uplink0 | awk '{split($4, a, "/"); print a[1]; exit}')
out=$(bt_host "$NN" probe tcp "$UP" 8080)
check_fails "inbound none: the host does not reach N's server ($out)" test "$out" = connected
check_eq "inbound none: no link of the sidecar netns forwards" "0 0 0 0" \
  "$(nsenter --net="$NS" sh -c "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/forwarding \
    /proc/sys/net/ipv4/conf/btla$(bt_link_hash n)/forwarding /proc/sys/net/ipv4/conf/uplink0/forwarding" | tr '\n' ' ' | sed 's/ $//')"
check "delete N" bt delete --force n

# An annotation closes inbound; it cannot reopen what the operator closed.
agent_bundle c
bundle_edit "$BT/c" "c['annotations'] = {'bottle.network.inbound': 'none'}"
check "create C with annotation bottle.network.inbound=none" start_d c
UP=$(nsenter --net="/run/bottle/netns/$(bt_netns_name c)-s" ip -4 -o addr show dev uplink0 |
  awk '{split($4, a, "/"); print a[1]; exit}')
out=$(bt_host "$NN" probe tcp "$UP" 8080)
check_fails "annotation none: the host does not reach C's server ($out)" test "$out" = connected
check "delete C" bt delete --force c
agent_bundle o
bundle_edit "$BT/o" "c['annotations'] = {'bottle.network.inbound': 'tcp'}"
out=$(BT_CONFIG_FILE=$BT/closed.json bt create --bundle "$BT/o" o 2>&1 </dev/null)
check "annotation tcp under network.inbound none: create fails" test $? -ne 0
check_contains "... naming the annotation" "annotation bottle.network.inbound=" "$out"
check_contains "... and why" "would open what $BT/closed.json closes" "$out"
check_same "nothing left behind" "$before" "$(settle bt_snapshot "$before")"
finish

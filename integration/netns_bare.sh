#!/usr/bin/env bash
# Bare mode (Docker's hook): netns_build_begin creates an empty sidecar netns, the engine
# configures it (here the test plays dockerd: a veth to the host, an address, a default
# route), netns_build_finish links the agent. The agent reaches only the proxy port; the
# sidecar reaches the test internet through the engine's link; an engine network that
# overlaps the chosen /30 fails finish clearly and leaves nothing; teardown leaves the host
# as before.
. "$(dirname "$0")/netns_common.lib.sh"
nn_setup
internet_up bare "$NN_HOST" || exit 1
# dockerd's part on the host: forwarding and a masquerade for its network
nn_host sysctl -qw net.ipv4.ip_forward=1
nn_host nft -f - <<'NFT'
add table ip engine
add chain ip engine post { type nat hook postrouting priority srcnat; policy accept; }
add rule ip engine post ip saddr 203.0.113.0/24 masquerade
NFT
before=$(nn_snapshot)

# engine_configure NETNS SUBNET_PREFIX: what dockerd's hook does for a bridge network.
engine_configure() {
  local ns=$1 net=$2
  nn_host ip link add "eng$$" type veth peer name "engp$$" || return 1
  nn_host ip link set "engp$$" netns "$ns" || return 1
  nn_host ip addr add "$net.1/24" dev "eng$$" && nn_host ip link set "eng$$" up &&
    nn_in "$ns" ip addr add "$net.2/24" dev "engp$$" && nn_in "$ns" ip link set "engp$$" up &&
    nn_in "$ns" ip route add default via "$net.1"
}

name=bare-$$
check "begin" nn_build "$name" bare phase=begin
S=$SIDECAR_NETNS A=$AGENT_NETNS
check_eq "the sidecar netns is ours" "$NN_DIR/run/$name-s" "$S"
check_eq "begin chose the first /30" 192.0.2.1 "$SIDECAR_IP"
check_eq "the sidecar netns has only lo" "lo" "$(nn_in "$S" ip -o link show | awk -F': ' '{print $2}')"
check "the engine configures it" engine_configure "$S" 203.0.113
check "finish" nn_host "$NN" build "$name" bare port=8888 run_dir="$NN_DIR/run" \
  state_dir="$NN_DIR/state" link_pool=192.0.2.0/24 phase=finish
nn_listen "$S" "$SIDECAR_IP" 8888
check_probe "agent: proxy port answers" connected "$A" tcp "$SIDECAR_IP" 8888
check_probe "agent: the engine's gateway is unreachable" unreachable "$A" tcp 203.0.113.1 80
check_probe "agent: the internet is unreachable" unreachable "$A" tcp "$INTERNET_IP" 80
check_probe "sidecar: the internet answers through the engine's link" connected "$S" tcp "$INTERNET_IP" 80
kill "$LISTEN_PID"
wait "$LISTEN_PID" 2>/dev/null
check "teardown" nn_teardown "$name"
# The engine's link to the host goes with the netns, as with dockerd (which also deletes it).
check_same "host as before" "$before" "$(settle nn_snapshot "$before")"

# An engine network over the /30 begin chose: finish refuses and tears everything down.
name=bare-clash-$$
check "begin (clash)" nn_build "$name" bare phase=begin
check "the engine configures 192.0.2.0/24" engine_configure "$SIDECAR_NETNS" 192.0.2
out=$(nn_host "$NN" build "$name" bare port=8888 run_dir="$NN_DIR/run" state_dir="$NN_DIR/state" \
  link_pool=192.0.2.0/24 phase=finish 2>&1)
check_eq "finish fails on the overlap" 1 "$?"
check_contains "the error names the field and the fix" "link_pool: 192.0.2.1/30 overlaps an address or route the engine gave the sidecar netns" "$out"
check "nothing left to tear down" test ! -e "$NN_DIR/state/$name.rec"
check_same "host as before (clash)" "$before" "$(settle nn_snapshot "$before")"
NN_NAMES=()
finish

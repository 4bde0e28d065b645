#!/usr/bin/env bash
# threats.md §7.3 row 43: two bottles at once (bottle run -d, own uplink, pipelock test double)
# cannot reach each other; row 40: the topology is complete when `create` returns, before the
# agent's process runs. Both use the same agent /30 (each pair is private), so "the
# sidecar's address" in A is A's own sidecar; B's other addresses are its uplink ones.
source "$(dirname "$0")/threats.lib.sh"
threats_setup multi

threats_agent a || { fail "bottle run -d a"; finish; exit; }
threats_agent b || { fail "bottle run -d b"; finish; exit; }
S=$(t_sidecar_ip a)
check_eq "both agents get the same link addresses" "$S" "$(t_sidecar_ip b)"
B_US=$(t_uplink_sidecar_ip b)
B_GW=$(t_uplink_gw b)
A_US=$(t_uplink_sidecar_ip a)
check_fails "each bottle has its own uplink ($A_US vs $B_US)" test "$A_US" = "$B_US"

# Each agent's proxy is its own: a marker request from A shows up in A's log only.
marker=onlya-$$.test
tx a wget -q -O /dev/null "http://$marker/" >/dev/null
check "row 43: A's request is in A's sidecar log" grep -q "$marker" "$BT_ROOT/.bottle/a/sidecar.log"
check_fails "row 43: ... and not in B's" grep -q "$marker" "$BT_ROOT/.bottle/b/sidecar.log"
check_eq "row 43: B's agent netns is not A's" "" \
  "$(test "$(stat -L -c %i "$(bt_agent_netns a)")" = "$(stat -L -c %i "$(bt_agent_netns b)")" && echo same)"

# Direct, from A's agent: B's sidecar uplink address and B's gateway are unreachable.
for target in "$B_US 8888" "$B_US 22" "$B_GW 80"; do
  check_eq "row 43: A -> B's ${target/ /:} -> ENETUNREACH" \
    "tcp4: ENETUNREACH (Network is unreachable)" "$(tx a probe tcp4 $target)"
done
# Through A's proxy: B's addresses are internal and not allowlisted.
for target in "$B_US:8888" "$B_GW:80"; do
  ans=$(t_proxy_raw a "CONNECT $target HTTP/1.1\r\nHost: $target\r\n\r\n")
  check_eq "row 43: A's proxy refuses CONNECT $target" 403 "$(t_status "$ans")"
done
# From A's sidecar netns (a compromised sidecar): B's proxy listens on the link address only,
# and B's sidecar netns accepts the proxy port from its own agent link only.
out=$(nsenter --net="$(t_sidecar_ns a)" "$TPROBE" tcp4 "$B_US" 8888)
check_fails "row 43: A's sidecar cannot open B's proxy at $B_US:8888 ($out)" test "$out" = "tcp4: ok"
# From B's agent, the same the other way.
check_eq "row 43: B -> A's $A_US:8888 -> ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(tx b probe tcp4 "$A_US" 8888)"
# Controls: both bottles work.
check_eq "control: A reaches the allowlisted host" "hello from the test internet" \
  "$(tx a wget -q -O- http://example.test/)"
check_eq "control: B reaches the allowlisted host" "hello from the test internet" \
  "$(tx b wget -q -O- http://example.test/)"

# --- row 40: after `bottle create` (agent not started) the confinement is already in place
bottled_agent "$BT/c40" sleep 600
bt_track c40
(cd "$BT/c40" && bt create c40 </dev/null >"$BT/c40.log" 2>&1)
check "row 40: bottle create c40" test $? -eq 0
check_contains "row 40: the agent is created, not running" '"status": "created"' "$(bt state c40)"
pid=$(bt state c40 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
AG=$(bt_agent_netns c40)
check_eq "row 40: the created process already sits in the agent netns" \
  "$(stat -L -c %i "$AG")" "$(stat -L -c %i "/proc/$pid/ns/net")"
check_eq "row 40: the agent netns has no default route yet or ever" "" "$(nsenter --net="$AG" ip -4 route show default)"
check_eq "row 40: the proxy already answers from the agent netns" "tcp4: ok" \
  "$(nsenter --net="$AG" "$TPROBE" tcp4 "$(t_sidecar_ip c40)" 8888)"
check_contains "row 40: the sidecar's nft table is in place" "chain agent_in" \
  "$(nsenter --net="$(t_sidecar_ns c40)" nft list table inet "bottle_$(bt_link_hash c40)")"
check_eq "row 40: direct egress from the agent netns already ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(nsenter --net="$AG" "$TPROBE" tcp4 "$INTERNET_IP" 80)"
bt delete --force c40 >/dev/null 2>&1
check_fails "row 40: delete --force removed the agent netns" test -e "$AG"
finish

#!/usr/bin/env bash
# Issue 13: bypass telemetry. What a bottled agent sends on its link that the kernel refuses
# below the proxy is counted per kind (nftables counters of the bottle's table in the sidecar
# netns): TCP to the sidecar's link address on a port but the proxy's, UDP to it, DNS to it,
# ICMP to it. The counts appear in `bottle state` (a "bypass" object), in `bottle logs` (one
# BYPASS line per kind seen), in `bottle logs --json` (one line with every count) and in the
# stats of `bottle events`. The
# allowed path counts nothing, and an attempt past the link (no route: ENETUNREACH in the agent's
# own stack) never reaches the link, so nothing counts it (docs/security.md says so).
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup bypass
A=bypass-a-$$
bt_track "$A"
before=$(bt_snapshot)
bottled_agent "$BT/agent" sleep 600
SIDE=10.231.0.1

bypass() { bt state "$A" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("bypass"), sort_keys=True))'; }

check "create" bt create --bundle "$BT/agent" "$A"
check "start (the start gate reads the table with its counters)" bt start "$A"
check_eq "state: every count 0 at first" '{"dns": 0, "icmp": 0, "other": 0, "tcp": 0, "udp": 0}' "$(bypass)"
check_contains "the allowed path works" "hello from the test internet" \
  "$(bt exec "$A" wget -q -O- http://example.test/ 2>&1)"
check_contains "a blocked host is pipelock's 403" "403" "$(bt exec "$A" wget -q -O- http://blocked.test/ 2>&1)"
check_contains "past the link: no route in the agent's stack" "unreachable" \
  "$(bt exec "$A" nc -w 1 203.0.113.9 80 </dev/null 2>&1)"
check_eq "the proxy path and an unroutable attempt count nothing" \
  '{"dns": 0, "icmp": 0, "other": 0, "tcp": 0, "udp": 0}' "$(bypass)"

# The probe: what the agent can put on its link without privilege.
out=$(bt exec "$A" sh -c "
nc -w 1 $SIDE 22 </dev/null; echo tcp22=\$?
nc -w 1 $SIDE 8080 </dev/null; echo tcp8080=\$?
tftp -g -r x -l /tmp/x $SIDE; echo udp=\$?
nslookup example.test $SIDE; echo dns=\$?" 2>&1)
echo "$out"
# ICMP: the agent holds no CAP_NET_RAW and busybox's ping has no other way, but Docker 20.10 opens
# ping sockets (net.ipv4.ping_group_range) in every container: the same echo request, sent here
# from the agent's netns by the test.
out="$out
$(nsenter --net="$(bt_agent_netns "$A")" busybox ping -c 1 -W 1 "$SIDE" 2>&1; echo icmp=$?)"
echo "$out"
check_contains "direct TCP to the link address is refused" "tcp22=1" "$out"
check_contains "UDP to it fails" "udp=1" "$out"
check_fails "DNS to it fails" grep -q "dns=0" <<<"$out"
check_contains "ICMP to it gets no echo" "icmp=1" "$out"
counts=$(bypass)
echo "bypass: $counts"
read -r tcp udp dns icmp other < <(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print(c["tcp"], c["udp"], c["dns"], c["icmp"], c["other"])' "$counts")
check_eq "state: two TCP attempts (one SYN each, answered by a reset)" 2 "$tcp"
check "state: UDP counted" test "$udp" -ge 1
check "state: DNS counted" test "$dns" -ge 1
check_eq "state: one ICMP echo" 1 "$icmp"
check_eq "state: nothing else" 0 "$other"

logs=$(bt logs "$A")
echo "$logs"
check_contains "logs: TCP" "BYPASS tcp: 2 packets refused below the proxy (TCP to a port but the proxy's)" "$logs"
check_contains "logs: UDP" "BYPASS udp: $udp packet" "$logs"
check_contains "logs: DNS" "BYPASS dns: $dns packet" "$logs"
check_contains "logs: ICMP" "BYPASS icmp: 1 packet refused below the proxy (ICMP)" "$logs"
check_fails "logs: no line for a kind never seen" grep -q "BYPASS other" <<<"$logs"
check_contains "logs: pipelock's block beside them" "BLOCKED" "$logs"
check_contains "logs --blocked: the counts too" "BYPASS tcp: 2" "$(bt logs --blocked "$A")"
json=$(bt logs --json "$A" | grep '"event":"bypass"')
echo "$json"
check_eq "logs --json: one bypass line with every count" \
  "{\"dns\": $dns, \"icmp\": 1, \"other\": 0, \"tcp\": 2, \"udp\": $udp}" \
  "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["refused_packets"], sort_keys=True))' "$json" 2>&1)"
check_eq "events --stats: the counts ride along in data.bypass" \
  "{\"dns\": $dns, \"icmp\": 1, \"other\": 0, \"tcp\": 2, \"udp\": $udp}" \
  "$(bt events --stats "$A" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]["bypass"], sort_keys=True))' 2>&1)"
check "delete" bt delete --force "$A"
check_eq "nothing left" "$before" "$(settle bt_snapshot "$before")"
finish

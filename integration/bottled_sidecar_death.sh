#!/usr/bin/env bash
# Issue 5: when the sidecar dies while the agent runs, egress stays closed (no fallback route,
# the proxy address refuses), and `bottle state` ("sidecar": "stopped") and `bottle logs` say
# so; delete still removes everything.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup death
IP=$INTERNET_IP
before=$(bt_snapshot)
A=death-$$
bt_track "$A"
bottled_agent "$BT/agent" sleep 600
state_field() { bt state "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2', '(absent)'))"; }

check "create" bt create --bundle "$BT/agent" "$A"
check "start" bt start "$A"
check_eq "sidecar running" running "$(state_field "$A" sidecar)"
check_contains "before: the allowed host answers" "hello from the test internet" \
  "$(bt exec "$A" wget -q -O- http://example.test/ 2>&1)"
pid=$(python3 -c "import json; print(json.load(open('$BT_ROOT/.bottle/$A/state/sidecar/bottle.json'))['pid'])")
check_contains "the sidecar's init is the pipelock" "/pipelock run" "$(tr '\0' ' ' </proc/"$pid"/cmdline)"
check "kill the pipelock" kill -KILL "$pid"
for _ in $(seq 100); do [ "$(state_field "$A" sidecar)" = stopped ] && break; sleep 0.05; done

check_eq "state: sidecar stopped" stopped "$(state_field "$A" sidecar)"
check_eq "state: the agent still runs" running "$(state_field "$A" status)"
out=$(bt exec "$A" wget -q -O- http://example.test/ 2>&1)
echo "after: $out"
check_fails "after: the allowed host no longer answers" grep -q "hello from the test internet" <<<"$out"
check_contains "after: the proxy address refuses at once" "refused" "$out"
check_contains "after: direct TCP still unreachable" "Network is unreachable" \
  "$(bt exec "$A" nc -w 2 "$IP" 80 </dev/null 2>&1)"
check_contains "after: DNS still unreachable" "Network is unreachable" \
  "$(bt exec "$A" busybox nslookup example.test "$IP" 2>&1)"
check_eq "after: the agent still has only its link route" "10.231.0.0/30 dev eth0 scope link src 10.231.0.2" \
  "$(bt exec "$A" ip -4 route | tr -s ' ' | sed 's/ $//')"
check_eq "only the first request reached the resolver" "example.test" "$(cat "$INTERNET_DNS_COUNT")"
check_contains "logs: say the sidecar is not running" "the sidecar is not running" "$(bt logs "$A")"

check "delete --force" bt delete --force "$A"
check_same "host as before" "$before" "$(settle bt_snapshot "$before")"
finish

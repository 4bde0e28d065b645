#!/usr/bin/env bash
# Issue 13: any forward proxy as the sidecar. sidecar.readiness says what tells bottle the proxy
# is up: {"http": "/health"} (pipelock's, the default; the start gate also reads its report) or
# another path, or {"tcp": true} for a connect to the proxy port. The double run with
# --test-no-health answers 404 on /health, as a proxy that is not pipelock would: with the default
# create fails in one line saying the proxy is not ready and leaves nothing; with tcp readiness
# the bottle is created, passes the start gate and its agent reaches the allowed host. A bad
# sidecar.readiness fails in one line naming the field.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup ready
A=ready-a-$$ B=ready-b-$$ C=ready-c-$$
bt_track "$A" "$B" "$C"
bottled_agent "$BT/agent" sleep 600
args='["/pipelock", "run", "--listen", "{listen}", "--config", "/etc/pipelock.yaml", "--test-no-health", "true"]'
bottled_config "$BT/default.json" "c['sidecar']['args'] = $args; c['sidecar']['ready_timeout_ms'] = 1000"
bottled_config "$BT/tcp.json" "c['sidecar']['args'] = $args; c['sidecar']['readiness'] = {'tcp': True}"
bottled_config "$BT/other-path.json" "c['sidecar']['args'] = $args; c['sidecar']['readiness'] = {'http': '/elsewhere'}; c['sidecar']['ready_timeout_ms'] = 1000"
before=$(bt_snapshot)

out=$(BT_CONFIG_FILE=$BT/default.json bt create --bundle "$BT/agent" "$A" 2>&1)
rc=$?
echo "$out"
check_fails "no /health, default readiness: create fails" test "$rc" = 0
check_eq "one line" 1 "$(wc -l <<<"$out")"
check_contains "it says the proxy is not ready" \
  "the sidecar's proxy is not ready: GET /health on 10.231.0.1:8888 answered \\\"HTTP/1.1 404" "$out"
check_contains "it names the setting" "sidecar.readiness" "$out"
check_eq "nothing left" "$before" "$(settle bt_snapshot "$before")"

out=$(BT_CONFIG_FILE=$BT/other-path.json bt create --bundle "$BT/agent" "$A" 2>&1)
echo "$out"
check_contains "another path answering 404 is not ready either" "GET /elsewhere on" "$out"

# shellcheck disable=SC2034 # bt (bottled.lib.sh) reads it
BT_CONFIG_FILE=$BT/tcp.json
check "tcp readiness: create" bt create --bundle "$BT/agent" "$B"
check "tcp readiness: the start gate passes" bt start "$B"
check_eq "tcp readiness: the agent runs" running "$(bt state "$B" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
check_contains "tcp readiness: the allowed host answers through the proxy" \
  "hello from the test internet" "$(bt exec "$B" wget -q -O- http://example.test/ 2>&1)"
check "delete" bt delete --force "$B"
unset BT_CONFIG_FILE

for bad in "{'tcp': False}" "{'http': 'health'}" "{'http': '/a b'}" "{'http': '/h', 'tcp': True}" "{}" "'tcp'" "{'udp': True}"; do
  bottled_config "$BT/bad.json" "c['sidecar']['readiness'] = $bad"
  out=$(BT_CONFIG_FILE=$BT/bad.json bt create --bundle "$BT/agent" "$C" 2>&1)
  rc=$?
  check_fails "readiness $bad: create fails" test "$rc" = 0
  check_eq "readiness $bad: one line" 1 "$(wc -l <<<"$out")"
  check_contains "readiness $bad: names the field" "sidecar.readiness" "$out"
done
check_eq "nothing left at the end" "$before" "$(settle bt_snapshot "$before")"
finish

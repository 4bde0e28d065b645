#!/usr/bin/env bash
# Issue 9 item 10: pipelock's /metrics and /stats are not the agent's to read. A bottled agent
# asks the sidecar's proxy port for them directly (no proxy in between): 404, while /health on
# the same port answers (the requests do reach pipelock). The metrics are on the sidecar's own
# loopback (metrics_listen), which the agent's namespace cannot reach.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup surface
before=$(bt_snapshot)
A=surface-$$
bt_track "$A"
bottled_agent "$BT/agent" sleep 600
check "create" bt create --bundle "$BT/agent" "$A"
check "start" bt start "$A"

# busybox wget -Y off: no proxy, straight to the sidecar's address.
direct() { bt exec "$A" wget -Y off -q -O- "http://10.231.0.1:$1" 2>&1; }
check_contains "agent: /health straight at the proxy port answers" '"status":"healthy"' \
  "$(direct 8888/health)"
for path in metrics stats; do
  out=$(direct "8888/$path")
  echo "$out"
  check_contains "agent: /$path at the proxy port is 404" "404 Not Found" "$out"
  check_fails "agent: /$path gives no metrics" grep -q "uptime_seconds" <<<"$out"
  out=$(direct "9464/$path")
  check_fails "agent: /$path on the metrics port of the sidecar's address gives nothing" \
    grep -q "uptime_seconds" <<<"$out"
done
check_contains "the generated config moves them to the sidecar's loopback" \
  'metrics_listen: "127.0.0.1:9464"' "$(cat "$BT_ROOT/.bottle/$A/fs/merged/etc/pipelock.yaml" 2>&1)"
side_ns=/run/bottle/netns/$(bt_netns_name "$A")-s
check_contains "the sidecar's loopback serves /metrics" "pipelock_uptime_seconds" \
  "$(nsenter --net="$side_ns" wget -Y off -q -O- http://127.0.0.1:9464/metrics 2>&1)"

check "delete" bt delete --force "$A"
check_same "nothing left behind" "$before" "$(bt_snapshot)"
finish

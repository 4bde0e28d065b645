#!/usr/bin/env bash
# Issue 13: pipelock's rate limit is a bottle.json setting. sidecar.max_requests_per_minute
# reaches the sidecar's /etc/pipelock.yaml as fetch_proxy.monitoring.max_requests_per_minute;
# requests beyond it in a minute get 429 from the proxy (the pipelock double implements the
# limit as pipelock.md §1.2 and §3.6 describe), and `bottle logs` shows those 429s, also under
# --blocked and in --json. A bad value fails create in one line naming the field and leaves
# nothing behind; without the setting the YAML carries the default, 600.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup rate
before=$(bt_snapshot)
A=rate-a-$$ D=rate-d-$$
bt_track "$A" "$D"
bottled_config "$BT/limit3.json" 'c["sidecar"]["max_requests_per_minute"] = 3'
bottled_config "$BT/zero.json" 'c["sidecar"]["max_requests_per_minute"] = 0'
bottled_agent "$BT/agent" sleep 600

out=$(BT_CONFIG_FILE=$BT/zero.json bt create --bundle "$BT/agent" "$A" 2>&1)
rc=$?
echo "$out"
check_fails "max_requests_per_minute 0: create fails" test "$rc" = 0
check_eq "max_requests_per_minute 0: one line" 1 "$(wc -l <<<"$out")"
check_contains "max_requests_per_minute 0: names the field" "sidecar.max_requests_per_minute: " "$out"
check_eq "max_requests_per_minute 0: nothing left" "$before" "$(settle bt_snapshot "$before")"

BT_CONFIG_FILE=$BT/limit3.json
check "create with a limit of 3" bt create --bundle "$BT/agent" "$A"
check "start" bt start "$A"
yaml=$(cat "$BT_ROOT/.bottle/$A/fs/merged/etc/pipelock.yaml" 2>&1)
check_contains "the YAML carries the limit" "fetch_proxy:
  listen: \"10.231.0.1:8888\"
  monitoring:
    max_requests_per_minute: 3" "$yaml"
codes=""
for i in 1 2 3 4; do
  out=$(bt exec "$A" wget -S -q -O /dev/null "http://example.test/?n=$i" 2>&1)
  codes="$codes $(awk '/HTTP\/1/ {print $2; exit}' <<<"$out")"
done
check_eq "three requests pass, the fourth gets 429" " 200 200 200 429" "$codes"
logs=$(bt logs "$A")
echo "$logs"
check_contains "logs: the 429 with its reason" \
  "BLOCKED GET example.test:80 (ratelimit: rate limit exceeded for example.test, 429)" "$logs"
check_eq "logs --blocked: only the 429" \
  "BLOCKED GET example.test:80 (ratelimit: rate limit exceeded for example.test, 429)" \
  "$(bt logs --blocked "$A" | sed 's/ at [0-9TZ:-]*$//')"
check_contains "logs --json: the raw line" '"scanner":"ratelimit"' "$(bt logs --json --blocked "$A")"
check "delete" bt delete --force "$A"
BT_CONFIG_FILE=

# Without the setting: the default.
bottled_agent "$BT/agent-d" sleep 600
check "create with the default config" bt create --bundle "$BT/agent-d" "$D"
check_contains "default: 600 a minute" "    max_requests_per_minute: 600
" "$(cat "$BT_ROOT/.bottle/$D/fs/merged/etc/pipelock.yaml" 2>&1)"
check "delete the default one" bt delete --force "$D"
check_eq "nothing left" "$before" "$(settle bt_snapshot "$before")"
finish

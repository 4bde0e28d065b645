#!/usr/bin/env bash
# Issue 5, "done when" 2: 50 bottled `bottle run`s (foreground, each making one allowed
# request through its own sidecar), at most 8 at a time, all succeed and leave nothing behind.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup par
RUNS=${BOTTLED_PARALLEL_RUNS:-50} WIDTH=${BOTTLED_PARALLEL_WIDTH:-8}
before=$(bt_snapshot)
# One rootfs, one config per slot (each with its own cgroup, as engines give every container).
bottled_agent "$BT/agent" sh -c 'wget -q -O- http://example.test/'
for s in $(seq 0 $((WIDTH - 1))); do
  mkdir -p "$BT/slot$s"
  python3 - "$BT/agent/config.json" "$BT/slot$s/config.json" "$BT/agent/rootfs" "/bottle-test/par-$s-$$" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"] = {"path": sys.argv[3], "readonly": True}
c["linux"]["cgroupsPath"] = sys.argv[4]
json.dump(c, open(sys.argv[2], "w"))
PY
done
bt_track $(for i in $(seq 1 "$RUNS"); do echo "par-$i-$$"; done)

one_run() { # I: run number; prints "I rc output"
  local i=$1 slot=$(($1 % WIDTH)) out
  out=$(flock "$BT/slot$slot" "$BOTTLE" --root "$BT_ROOT" --config "$BT_CONF" run \
    --bundle "$BT/slot$slot" "par-$i-$$" </dev/null 2>&1)
  echo "$i $? $(tr '\n' ' ' <<<"$out")"
}
export -f one_run
export BT BT_ROOT BT_CONF BOTTLE WIDTH
start=$(date +%s.%N)
results=$(seq 1 "$RUNS" | xargs -P "$WIDTH" -I{} nsenter --net="/run/netns/$BT_HOST" bash -c 'one_run {}')
end=$(date +%s.%N)
echo "$RUNS runs, $WIDTH at a time: $(python3 -c "print(round($end - $start, 1))") s"
good=$(grep -c "^[0-9]* 0 hello from the test internet" <<<"$results")
check_eq "all $RUNS runs exit 0 with the allowed page" "$RUNS" "$good"
grep -v "^[0-9]* 0 hello from the test internet" <<<"$results" | head -5
check_eq "the sidecars resolved the allowed name once per run" "$RUNS" \
  "$(grep -c '^example.test$' "$INTERNET_DNS_COUNT")"
check_eq "no container state left" "" "$(bt list -q)"
check "no bottle dirs left" test ! -e "$BT_ROOT/.bottle"
check_same "host as before" "$before" "$(settle bt_snapshot "$before")"
finish

#!/usr/bin/env bash
# bottle-run killed with SIGKILL (it cannot clean up): its agent and sidecar die with it (their
# inits carry a parent-death signal), nothing keeps running unconfined or confined, and
# `bottle gc --stopped` removes what is left (state, network, overlay, cgroups); so does the
# next bottle-run.
source "$(dirname "$0")/bottled.lib.sh"
bottled_setup killed

dead_or_zombie() { # PID: gone, or a zombie nobody reaped yet
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
  [ "$st" = Z ]
}

bottled_agent "$BT/agent" sleep 300
before=$(bt_snapshot)
# start_and_kill: a bottle-run whose agent runs, SIGKILLed; sets id.
start_and_kill() {
  local runner agent sidecar
  : >"$BT/out"
  bt_run --yes "$BT/agent" >"$BT/out" 2>&1 &
  runner=$!
  id=
  for _ in $(seq 100); do
    id=$(sed -n 's/^bottle plan for \(bottle-run-[0-9]*\).*/\1/p' "$BT/out")
    [ -n "$id" ] && bt state "$id" 2>/dev/null | grep -q '"running"' && break
    sleep 0.1
  done
  check "bottle-run started its agent" test -n "$id"
  bt_track "$id"
  agent=$(bt state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
  sidecar=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' \
    "$BT_ROOT/.bottle/$id/state/sidecar/bottle.json")
  check "the sidecar runs" kill -0 "$sidecar"
  kill -9 "${id#bottle-run-}"
  wait "$runner" 2>/dev/null
  for _ in $(seq 50); do
    dead_or_zombie "$agent" && dead_or_zombie "$sidecar" && break
    sleep 0.05
  done
  check "the agent died with bottle-run" dead_or_zombie "$agent"
  check "the sidecar died with bottle-run" dead_or_zombie "$sidecar"
  state=$(bt state "$id")
  check_contains "state says stopped" '"status": "stopped"' "$state"
  check_contains "state says the sidecar stopped" '"sidecar": "stopped"' "$state"
}

start_and_kill
check "gc --stopped removes the rest" bt gc --stopped
check_fails "no state left" bt state "$id"
check_same "the host is as before" "$before" "$(settle bt_snapshot "$before")"

start_and_kill
bottled_agent "$BT/quick" true
out=$(bt_run --yes "$BT/quick" 2>&1)
check_eq "the next bottle-run runs" 0 "$?"
bt_track "$(sed -n 's/^bottle plan for \(bottle-run-[0-9]*\).*/\1/p' <<<"$out")"
check_contains "the next bottle-run removes the leftovers" \
  "bottle-run: removed $id, left by a bottle-run that was killed" "$out"
check_fails "no state left" bt state "$id"
check_same "the host is as before (next bottle-run)" "$before" "$(settle bt_snapshot "$before")"
finish

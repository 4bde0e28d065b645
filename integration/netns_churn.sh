#!/usr/bin/env bash
# Issue 4, "done when" 2: 100 topologies built and torn down two at a time (alternating
# own-uplink and engine mode, with a fake dockerd FORWARD drop in place) leave the host
# exactly as before: links, addresses, routes, nftables ruleset, net sysctls of the (private)
# host netns, netns bind mounts and state files (see nn_snapshot for what is compared).
. "$(dirname "$0")/netns_common.lib.sh"
nn_setup
nn_fake_docker_forward_drop
nn_engine_ns || exit 1
before=$(nn_snapshot)
eng_before=$(nn_engine_state)

args=(port=8888 run_dir="$NN_DIR/run" state_dir="$NN_DIR/state" link_pool=192.0.2.0/24
  uplink_pool=203.0.113.0/24)
failures=0
for i in $(seq 1 50); do
  # Both of a pair run at once: two uplink bottles share the pool lock and the host table;
  # every fifth pair puts an engine-mode bottle beside an uplink one.
  a=churn-$$-$i-a b=churn-$$-$i-b
  NN_NAMES+=("$a" "$b")
  mode_b=(uplink)
  [ $((i % 5)) -eq 0 ] && mode_b=(engine engine="$ENG")
  nn_host "$NN" build "$a" uplink "${args[@]}" >/dev/null &
  pa=$!
  nn_host "$NN" build "$b" "${mode_b[@]}" "${args[@]}" >/dev/null &
  pb=$!
  wait $pa || failures=$((failures + 1))
  wait $pb || failures=$((failures + 1))
  nn_teardown "$a" &
  pa=$!
  nn_teardown "$b" &
  pb=$!
  wait $pa || failures=$((failures + 1))
  wait $pb || failures=$((failures + 1))
done
check_eq "100 builds and teardowns succeeded" 0 "$failures"
check_same "host as before" "$before" "$(settle nn_snapshot "$before")"
check_same "engine netns as before" "$eng_before" "$(settle nn_engine_state "$eng_before")"
check_eq "no lease left" "" "$(ls "$NN_DIR/state/leases")"
check_eq "no netns file left" "" "$(ls "$NN_DIR/run")"
umount "$ENG"
finish

#!/usr/bin/env bash
# Issue 4, "done when" 3: the build SIGKILLs itself at step N (BOTTLE_NETNS_FAIL_AT=N) for
# every step of both modes; then teardown by name (odd N) or gc (even N) must leave the host
# exactly as before (nn_snapshot) and the engine netns with its addresses, routes and rules.
#
# The crash points exist in the test build only (BOTTLE_FAULT_INJECTION, make SAN=1): this test
# drives the sanitized test_netns (ASAN_BUILD, as sanitized.sh and bottled_crash.sh), and fails,
# not skips, when that binary lacks them or the release one has them.
. "$(dirname "$0")/netns_common.lib.sh"
release=$NN
ASAN_BUILD=${ASAN_BUILD:-build/asan}
case $ASAN_BUILD in /*) ;; *) ASAN_BUILD=$BOTTLE_TOP/$ASAN_BUILD ;; esac
NN=$ASAN_BUILD/tests/test_netns
if ! grep -q BOTTLE_NETNS_FAIL_AT "$NN" 2>/dev/null; then
  echo "not ok - $NN has no crash points (BOTTLE_FAULT_INJECTION): make asan, or ASAN_BUILD=DIR" >&2
  exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
nn_setup
if [ "$release" != "$NN" ] && [ -e "$release" ]; then
  check_fails "the release test_netns ($release) has no BOTTLE_NETNS_FAIL_AT" \
    grep -q BOTTLE_NETNS_FAIL_AT "$release"
fi
nn_fake_docker_forward_drop
nn_engine_ns || exit 1
before=$(nn_snapshot)
eng_before=$(nn_engine_state)
args=(port=8888 run_dir="$NN_DIR/run" state_dir="$NN_DIR/state" link_pool=192.0.2.0/24
  uplink_pool=203.0.113.0/24)

for mode in uplink engine; do
  margs=("$mode")
  [ "$mode" = engine ] && margs=(engine engine="$ENG")
  steps=0
  for n in $(seq 1 40); do
    name=crash-$$-$mode-$n
    NN_NAMES+=("$name")
    BOTTLE_NETNS_FAIL_AT=$n nn_host "$NN" build "$name" "${margs[@]}" "${args[@]}" >/dev/null 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
      check "$mode: build completes once N passes the last step" nn_teardown "$name"
      break
    fi
    check_eq "$mode: killed at step $n" 137 "$rc"
    steps=$n
    if [ $((n % 2)) -eq 1 ]; then
      check "$mode step $n: teardown by name" nn_teardown "$name"
    else
      check_contains "$mode step $n: gc removes the crashed build" "removed" \
        "$(nn_host "$NN" gc state_dir="$NN_DIR/state")"
    fi
    check_same "$mode step $n: host as before" "$before" "$(settle nn_snapshot "$before")"
    check_same "$mode step $n: engine netns as before" "$eng_before" "$(settle nn_engine_state "$eng_before")"
  done
  check "$mode: crashes injected at $steps steps" test "$steps" -ge 7
done
# gc keeps a completed build (its container may be running) unless told it is unused.
check "build for gc" nn_build "crash-$$-kept" uplink
check_contains "gc keeps a completed build" "removed 0" "$(nn_host "$NN" gc state_dir="$NN_DIR/state")"
check_contains "gc with in_use=no removes it" "removed 1" "$(nn_host "$NN" gc state_dir="$NN_DIR/state" all)"
check_same "host as before after gc" "$before" "$(settle nn_snapshot "$before")"
umount "$ENG"
finish

#!/usr/bin/env bash
# The runtime itself under ASan/UBSan (make asan builds build/asan/bottle): the bottled and plain
# lifecycles and exec (create, start, exec, kill, delete, the sidecar, the network) and the
# failed creates and bad configs (the error paths), and the refusals, the start gate, the
# sidecar and the late pid-namespace join of issue 9, a pod's members joining a bottle and a
# running bottle's policy change, run again with that binary. A memory error
# or leak in any of its processes fails the run it is in; unit tests cannot reach these paths.
#
# Each test gets SANITIZED_TEST_TIMEOUT seconds (they take 5 to 30 each). One that hangs is
# not left to eat the whole run's budget: its process tree, the kernel stacks of its bottle
# processes and their threads' backtraces are printed, so that the hang can be diagnosed from
# the log alone, and then it is killed.
. "$(dirname "$0")/../tests/lib.sh"
need_root
ASAN_BUILD=${ASAN_BUILD:-build/asan}
[ -x "$ASAN_BUILD/bottle" ] || skip "no sanitized build ($ASAN_BUILD/bottle): make asan"
export BOTTLE=$PWD/$ASAN_BUILD/bottle BOTTLE_RUN=$PWD/$ASAN_BUILD/bottle-run
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
limit=${SANITIZED_TEST_TIMEOUT:-150}

# hang_report SID: what every process of session SID, and every process of the sanitized
# binaries, is doing.
hang_report() {
  local sid=$1 p
  echo "--- processes of the hung test (session $sid) and of $ASAN_BUILD:"
  ps -eo pid,ppid,sid,stat,wchan:28,etime,args --forest |
    awk -v s="$sid" -v b="$ASAN_BUILD/" 'NR == 1 || $3 == s || index($0, b)'
  for p in $(pgrep -f "$ASAN_BUILD/bottle") $(pgrep -s "$sid"); do
    [ -r "/proc/$p/stack" ] || continue
    echo "--- $p $(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-120)"
    grep -E '^(State|SigBlk|SigPnd|ShdPnd):' "/proc/$p/status"
    cat "/proc/$p/stack"
    if command -v gdb >/dev/null && [[ $(readlink "/proc/$p/exe") == *"$ASAN_BUILD"* ]]; then
      timeout 20 gdb -p "$p" -batch -ex 'thread apply all bt 12' 2>/dev/null | grep -E '^(Thread|#)'
    fi
  done
}

for t in ${SANITIZED_TESTS:-bottled_lifecycle.sh bottled_crash.sh threats_config.sh runtime_lifecycle.sh runtime_exec.sh \
  bottled_fds.sh bottled_pidns.sh bottled_start_gate.sh security_privilege_run.sh sidecar_hardening.sh \
  security_create_pidns.sh bottled_pod.sh ops_policy.sh}; do
  log=$(mktemp)
  # A session of its own, so that a hang can be reported on and killed as one.
  setsid bash "$(dirname "$0")/$t" >"$log" 2>&1 </dev/null &
  pid=$!
  end=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "--- $t still running after ${limit}s; its log so far:"
    tail -n 30 "$log"
    hang_report "$pid"
    # The hung runtime first, so that the test can fail and clean up after itself; then
    # the test, and last whatever of its session is left.
    pkill -KILL -f "$ASAN_BUILD/bottle"
    end=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
    kill -TERM "$pid" 2>/dev/null && sleep 5
    pkill -KILL -s "$pid"
  fi
  wait "$pid"
  rc=$?
  check_eq "$t with the sanitized bottle" 0 "$rc"
  [ "$rc" -eq 0 ] || grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:|^not ok' "$log" | head -40
  rm -f "$log"
done
finish

#!/usr/bin/env bash
# The runtime itself under ASan/UBSan (make asan builds build/asan/bottle): the bottled and plain
# lifecycles and exec (create, start, exec, kill, delete, the sidecar, the network) and the
# failed creates and bad configs (the error paths), and the refusals, the start gate, the
# sidecar and the late pid-namespace join of issue 9, run again with that binary. A memory error
# or leak in any of its processes fails the run it is in; unit tests cannot reach these paths.
. "$(dirname "$0")/../tests/lib.sh"
need_root
ASAN_BUILD=${ASAN_BUILD:-build/asan}
[ -x "$ASAN_BUILD/bottle" ] || skip "no sanitized build ($ASAN_BUILD/bottle): make asan"
export BOTTLE=$PWD/$ASAN_BUILD/bottle BOTTLE_RUN=$PWD/$ASAN_BUILD/bottle-run
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in bottled_lifecycle.sh bottled_crash.sh threats_config.sh runtime_lifecycle.sh runtime_exec.sh \
  bottled_fds.sh bottled_pidns.sh bottled_start_gate.sh security_privilege_run.sh sidecar_hardening.sh \
  security_create_pidns.sh; do
  out=$(bash "$(dirname "$0")/$t" 2>&1)
  rc=$?
  check_eq "$t with the sanitized bottle" 0 "$rc"
  [ "$rc" -eq 0 ] || grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:|^not ok' <<<"$out" | head -40
done
finish

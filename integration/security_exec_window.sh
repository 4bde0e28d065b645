#!/usr/bin/env bash
# Issue 9, item 1: no process visible in a container's pid namespace ever has the host's root
# or cwd. An agent with CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE) runs a watcher
# (integration/exec-window-watcher.c) that opens /proc/<pid>/root and /proc/<pid>/cwd of every
# new process and looks through them for a file that exists only at the host's root; meanwhile
# the test runs `docker exec` in a loop. Before the fix, bottle exec forked its child into the
# container's pid namespace before the child joined the mount namespace, and the watcher
# caught the host's root within a few execs.
# ENGINE_RUNTIME_PATH=/usr/sbin/runc integration/security_exec_window.sh proves the test itself.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=integration/engines.lib.sh
. "$(dirname "$0")/engines.lib.sh"
need_root
command -v gcc >/dev/null || skip "needs gcc (static watcher)"
EXECS=${EXEC_WINDOW_EXECS:-60}
engines_init exec-window
MARK=bottle-exec-window-$$
# The marker at the host's root goes with the test (engines_cleanup keeps the exit status).
trap '_rc=$?; rm -f "/$MARK"; (exit $_rc); engines_cleanup' EXIT
W=$ENGINE_TMP/watch
mkdir -p "$W"
gcc -static -O2 -o "$W/watcher" "$BOTTLE_TOP/integration/exec-window-watcher.c" ||
  skip "gcc -static failed (static libc missing?)"
: >"/$MARK"
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE

# watch WHAT ID: waits for the watcher in container ID, runs $EXECS docker execs (two at a
# time, stopping early once the watcher has exited), stops the watcher and checks its verdict.
watch() {
  local what=$1 id=$2 i n=0 out rc
  for i in $(seq 100); do
    [[ $(dk logs "$id" 2>&1) == *ready* ]] && break
    sleep 0.1
  done
  check_contains "$what: the watcher runs" ready "$(dk logs "$id" 2>&1)"
  for ((i = 0; i < EXECS; i += 2)); do
    dk exec "$id" true &
    dk exec "$id" true
    wait $!
    n=$((n + 2))
    [ "$(dk inspect -f '{{.State.Running}}' "$id")" = true ] || break
  done
  echo "# $what: $n docker execs"
  : >"$W/stop-$id"
  rc=$(timeout 30 "$ENGINE_DOCKER_BIN" -H "unix://$DOCKER_HOST_SOCK" wait "$id")
  out=$(dk logs "$id" 2>&1)
  echo "$out" | sed 's/^/# watcher: /'
  check_eq "$what: no exec'd process showed the host's root or cwd" 0 "$rc"
  check_fails "$what: the watcher saw no ESCAPE" grep -q ESCAPE <<<"$out"
  # Not a vacuous pass: the watcher opened the root of most exec'd processes.
  n=$(sed -n 's/^seen \([0-9]*\)$/\1/p' <<<"$out")
  [ "$rc" = 0 ] && check "$what: the watcher opened the root of at least half of the $EXECS exec'd processes (saw ${n:-none})" \
    test "${n:-0}" -ge $((EXECS / 2))
}

name=exec-window-$$
id=$(dk run -d --runtime=bottle --name "$name" --cap-add SYS_PTRACE -v "$W:/w:ro" "$IMG" \
  /w/watcher "$MARK" "/w/stop-$name")
check "docker run -d --cap-add SYS_PTRACE the watcher" test -n "$id"
watch "plain container" "$name"

finish

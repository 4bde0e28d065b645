#!/usr/bin/env bash
# Issue 9, item 1: no process visible in a container's pid namespace ever has the host's root
# or cwd. An agent with CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE) runs a watcher
# (integration/exec-window-watcher.c) that opens /proc/<pid>/root and /proc/<pid>/cwd of every
# new process and looks through them for a file that exists only at the host's root; meanwhile
# the test runs `docker exec` in a loop, then `docker run --pid container:<watcher>` in a loop.
# Before the fix, bottle exec forked its child into the container's pid namespace before the
# child joined the mount namespace, and a container joining a pid namespace by path had its
# init there while it built the rootfs from the host's root: the watcher caught the host's
# root at the first exec and at the first run.
# Under runc 1.1 (ENGINE_RUNTIME_PATH=/usr/sbin/runc) the exec part passes and the create part
# fails: its init, too, is in the joined pid namespace while it builds the rootfs.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=integration/engines.lib.sh
. "$(dirname "$0")/engines.lib.sh"
need_root
command -v gcc >/dev/null || skip "needs gcc (static watcher)"
EXECS=${EXEC_WINDOW_EXECS:-60} RUNS=${EXEC_WINDOW_RUNS:-20}
engines_init exec-window
MARK=bottle-exec-window-$$
# The marker at the host's root goes with the test (engines_cleanup keeps the exit status).
exec_window_cleanup() {
  local rc=$?
  rm -f "/$MARK"
  (exit "$rc")
  engines_cleanup
}
trap exec_window_cleanup EXIT
W=$ENGINE_TMP/watch
mkdir -p "$W"
gcc -static -O2 -o "$W/watcher" "$BOTTLE_TOP/integration/exec-window-watcher.c" ||
  skip "gcc -static failed (static libc missing?)"
: >"/$MARK"
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE

# A container running the watcher with CAP_SYS_PTRACE; prints its name once the watcher runs.
watcher() {
  local name=exec-window-$1-$$ i
  dk run -d --runtime=bottle --name "$name" --cap-add SYS_PTRACE -v "$W:/w:ro" "$IMG" \
    /w/watcher "$MARK" "/w/stop-$name" >/dev/null || return 1
  for i in $(seq 100); do
    [[ $(dk logs "$name" 2>&1) == *ready* ]] && break
    sleep 0.1
  done
  echo "$name"
}

# watch WHAT NAME N CMD...: runs CMD (two at a time) N times while the watcher in container
# NAME looks, stopping early once the watcher has exited; then stops the watcher and checks
# its verdict.
watch() {
  local what=$1 name=$2 runs=$3 i n=0 out rc line
  shift 3
  check_contains "$what: the watcher runs" ready "$(dk logs "$name" 2>&1)"
  for ((i = 0; i < runs; i += 2)); do
    "$@" >/dev/null &
    "$@" >/dev/null
    wait $!
    n=$((n + 2))
    [ "$(dk inspect -f '{{.State.Running}}' "$name")" = true ] || break
  done
  echo "# $what: $n runs"
  : >"$W/stop-$name"
  rc=$(timeout 30 "$ENGINE_DOCKER_BIN" -H "unix://$DOCKER_HOST_SOCK" wait "$name")
  out=$(dk logs "$name" 2>&1)
  while IFS= read -r line; do echo "# watcher: $line"; done <<<"$out"
  check_eq "$what: no new process showed the host's root or cwd" 0 "$rc"
  check_fails "$what: the watcher saw no ESCAPE" grep -q ESCAPE <<<"$out"
  # Not a vacuous pass: the watcher opened the root of most new processes.
  n=$(sed -n 's/^seen \([0-9]*\)$/\1/p' <<<"$out")
  [ "$rc" = 0 ] && check "$what: the watcher opened the root of at least half of the $runs new processes (saw ${n:-none})" \
    test "${n:-0}" -ge $((runs / 2))
}

# exec: docker exec into the watcher's own container.
name=$(watcher exec)
check "docker run -d --cap-add SYS_PTRACE the watcher" test -n "$name"
watch "docker exec" "$name" "$EXECS" dk exec "$name" true

# create: a container that joins the watcher's pid namespace (--pid container:X, a pod's shared
# process namespace) is built outside it and enters it only with its own root.
# It still works as --pid container: does: its /proc is the joined namespace's, its tty its own.
holder=$(dk run -d --runtime=bottle "$IMG" sleep 600)
# shellcheck disable=SC2016 # expanded inside the container
out=$(dk run --rm --runtime=bottle --pid "container:$holder" "$IMG" \
  sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; read -r self _ </proc/self/stat; [ "$self" = $$ ] && echo self-ok' 2>&1)
check_contains "--pid container: its /proc shows the joined namespace (pid 1 is the other's)" \
  "sleep 600" "$out"
check_contains "--pid container: /proc/self is its own pid there" self-ok "$out"
check_contains "--pid container -t: a tty" /dev/pts/ \
  "$(dk run --rm -t --runtime=bottle --pid "container:$holder" "$IMG" tty 2>&1)"
dk rm -f "$holder" >/dev/null
name=$(watcher create)
watch "docker run --pid container:" "$name" "$RUNS" dk run --rm --runtime=bottle --pid "container:$name" "$IMG" true

finish

#!/usr/bin/env bash
# issue 12 item 8: --pidfd-socket (runc 1.2+; go-runc puts it on create, run and exec when its
# caller sets CreateOpts/ExecOpts.PidfdSocket): the runtime connects to the caller's unix socket and
# sends a pidfd of the container's process with SCM_RIGHTS (the text "standard" for the init,
# "setns" for an exec'd process, as runc). The receiver here checks the fd's Pid: in
# /proc/self/fdinfo against the pid file, signals 0 through it, and for create kills the
# container through it. runc 1.1.5 (Debian 12) has no such flag; crun 1.8.1 neither: the
# argv shapes are go-runc's (create/run/exec), driven against bottle only, with go-runc's other
# current shapes (update --resources=-, events --interval=Ns, ps --format table, --rootless=)
# and a config.json of a newer runtime-spec.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"
B=("$BOTTLE" --root "$T/root-bottle" --log "$T/log.json" --log-format json)

# receive SOCKET OUT [KILL]: accepts one connection on SOCKET, receives one fd and writes
# "<text> <Pid: of the fd> <pidfd_send_signal 0 ok|error>" to OUT; KILL sends SIGKILL through
# the pidfd after. The socket exists when this returns.
receive() {
  python3 - "$@" <<'PY' &
import os, signal, socket, sys
path, out = sys.argv[1], sys.argv[2]
kill = len(sys.argv) > 3
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
open(path + ".ready", "w").close()
s.settimeout(30)
try:
    c, _ = s.accept()
    msg, fds, _, _ = socket.recv_fds(c, 64, 4)
except Exception as e:
    open(out, "w").write("error %s\n" % e); sys.exit(1)
if len(fds) != 1:
    open(out, "w").write("fds %d\n" % len(fds)); sys.exit(1)
fd = fds[0]
pid = [l.split()[1] for l in open("/proc/self/fdinfo/%d" % fd) if l.startswith("Pid:")]
try:
    signal.pidfd_send_signal(fd, 0); sig = "ok"
except OSError as e:
    sig = "error-%d" % e.errno
if kill:
    signal.pidfd_send_signal(fd, signal.SIGKILL)
open(out, "w").write("%s %s %s\n" % (msg.decode(), pid[0] if pid else "none", sig))
PY
  for _ in $(seq 100); do [ -e "$1.ready" ] && return 0; sleep 0.1; done
  return 1
}

make_bundle "$T/b" sleep 1000
cd "$T/b" || exit 1

# create, as go-runc: create --bundle B --pid-file P --pidfd-socket S ID (no terminal: the
# caller's pipes as stdio).
receive "$T/create.sock" "$T/create.got" kill
check "create with --pidfd-socket" "${B[@]}" create --bundle "$T/b" --pid-file "$T/create.pid" \
  --pidfd-socket "$T/create.sock" c1 </dev/null >/dev/null 2>"$T/create.err"
wait
check_eq "create: the receiver got the init's pidfd" "standard $(cat "$T/create.pid") ok" \
  "$(cat "$T/create.got" 2>/dev/null)"
for _ in $(seq 100); do
  [ "$("${B[@]}" state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = stopped ] && break
  sleep 0.1
done
check_eq "create: the kill through the pidfd stopped the container" stopped \
  "$("${B[@]}" state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
"${B[@]}" delete -f c1

# run -d (runc run --detach --pidfd-socket), then exec as go-runc does:
# exec --process F --detach --pid-file P --pidfd-socket S ID.
receive "$T/run.sock" "$T/run.got"
check "run -d with --pidfd-socket" "${B[@]}" run -d --bundle "$T/b" --pid-file "$T/run.pid" \
  --pidfd-socket "$T/run.sock" c2 </dev/null >/dev/null 2>"$T/run.err"
wait
check_eq "run: the receiver got the init's pidfd" "standard $(cat "$T/run.pid") ok" \
  "$(cat "$T/run.got" 2>/dev/null)"
cat >"$T/process.json" <<'J'
{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sleep", "1000"], "cwd": "/",
 "env": ["PATH=/bin"]}
J
receive "$T/exec.sock" "$T/exec.got"
check "exec --detach with --pidfd-socket" "${B[@]}" exec --process "$T/process.json" --detach \
  --pid-file "$T/exec.pid" --pidfd-socket "$T/exec.sock" c2 </dev/null >/dev/null 2>"$T/exec.err"
wait
check_eq "exec: the receiver got the exec'd process's pidfd" "setns $(cat "$T/exec.pid") ok" \
  "$(cat "$T/exec.got" 2>/dev/null)"
check_contains "exec: that pid is the sleep in the container" "sleep1000" \
  "$(tr -d '\0' <"/proc/$(cat "$T/exec.pid")/cmdline")"
# The flag in its --flag=value form and an exec given argv instead of a process file.
receive "$T/exec2.sock" "$T/exec2.got"
check "exec --pidfd-socket=S -d ID ARGS" "${B[@]}" exec --pidfd-socket="$T/exec2.sock" -d \
  --pid-file "$T/exec2.pid" c2 sleep 999 </dev/null >/dev/null 2>>"$T/exec.err"
wait
check_eq "exec=: the receiver got the pidfd" "setns $(cat "$T/exec2.pid") ok" \
  "$(cat "$T/exec2.got" 2>/dev/null)"
# go-runc's other current shapes on the same container.
check "update --resources=- ID" sh -c 'echo "{\"pids\":{\"limit\":500}}" | "$@" update --resources=- c2' \
  sh "${B[@]}"
check_contains "events --interval=1s ID streams stats" '"type":"stats"' \
  "$(timeout 3 "${B[@]}" events --interval=1s c2 | head -1)"
check_contains "ps --format table ID" "sleep 1000" "$("${B[@]}" ps --format table c2)"
check_eq "--rootless=false state ID" running "$("$BOTTLE" --root "$T/root-bottle" --rootless=false state c2 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
"${B[@]}" delete -f c2

# A config.json with the ociVersion of a newer runtime-spec runs.
bundle_edit "$T/b" "c['ociVersion'] = '1.2.0'; c['process']['args'] = ['echo', 'newer']"
check_eq "ociVersion 1.2.0 runs" newer "$("${B[@]}" run --bundle "$T/b" c4 </dev/null 2>&1)"

# No one listening: the create fails in one line naming the flag and leaves nothing.
check_fails "create with a dead --pidfd-socket fails" "${B[@]}" create --bundle "$T/b" \
  --pidfd-socket "$T/nobody.sock" c3 </dev/null >/dev/null 2>"$T/dead.err"
check_contains "dead: the error names --pidfd-socket" "pidfd-socket" "$(cat "$T/log.json")"
check_eq "dead: nothing left" "" "$("${B[@]}" list -q)"
cd /

finish

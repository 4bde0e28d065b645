#!/usr/bin/env bash
# Terminals and hooks (runc-cli.md §6.4, §6.5, §9.4, §11 items 4 and 8):
# the console-socket protocol for create and exec, and all six hook kinds with
# argv[0] from args, the state JSON on stdin, captured output, failures and
# timeouts.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"

T=$(mktemp -d /tmp/bottle-th.XXXXXX)
# These tests drive plain OCI containers; bottled mode has its own tests.
printf '{"mode": "plain"}\n' >"$T/bottle-config.json"
export BOTTLE_CONFIG=$T/bottle-config.json
ROOT=$T/root
ID=th$$
cleanup() {
  for id in $("$BOTTLE" --root "$ROOT" list -q 2>/dev/null); do "$BOTTLE" --root "$ROOT" delete -f "$id"; done
  rm -rf "$T"
}
trap cleanup EXIT
B() { "$BOTTLE" --root "$ROOT" --log "$T/log.json" --log-format json "$@"; }

# A console-socket listener: receives one message, reports its shape and what
# the container writes on the master until it prints DONE.
cat >"$T/recv.py" <<'PY'
import array, json, os, socket, sys, time, fcntl, termios, struct
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
open(out + ".ready", "w").close()
c, _ = s.accept()
msg, anc, flags, addr = c.recvmsg(4096, socket.CMSG_SPACE(4 * 4))
fds = array.array("i")
for level, typ, data in anc:
    fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
res = {"payload": msg.decode(), "ncmsg": len(anc), "nfds": len(fds)}
m = fds[0]
res["target"] = os.readlink("/proc/self/fd/%d" % m)
res["winsize"] = list(struct.unpack("HHHH", fcntl.ioctl(m, termios.TIOCGWINSZ, b"\0" * 8)))
data, deadline = b"", time.time() + 10
while time.time() < deadline and b"DONE" not in data:
    try:
        chunk = os.read(m, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
res["data"] = data.decode(errors="replace")
json.dump(res, open(out, "w"))
PY
listen() { rm -f "$1" "$2" "$2.ready"; python3 "$T/recv.py" "$1" "$2" & LPID=$!; for _ in $(seq 100); do [ -e "$2.ready" ] && break; sleep 0.02; done; }
jget() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# --- create with a terminal
make_bundle "$T/tty" sh -c 'tty; readlink /proc/self/fd/0; readlink /proc/self/fd/2; stat -c %t:%T /dev/console; echo DONE; sleep 2'
bundle_edit "$T/tty" 'c["process"]["terminal"]=True; c["process"]["consoleSize"]={"height":30,"width":100}'
out=$(B create -b "$T/tty" "$ID" 2>&1)
check_contains "terminal without console socket is refused" "cannot allocate tty if bottle will detach without setting console socket" "$out"
listen "$T/c.sock" "$T/c.out"
check "create --console-socket" B create -b "$T/tty" --console-socket "$T/c.sock" --pid-file "$T/tty.pid" "$ID"
check "start" B start "$ID"
wait "$LPID"
check_eq "payload is the pty name" /dev/ptmx "$(jget "$T/c.out" payload)"
check_eq "exactly one cmsg" 1 "$(jget "$T/c.out" ncmsg)"
check_eq "exactly one fd" 1 "$(jget "$T/c.out" nfds)"
check_eq "the fd is the container's own ptmx" /dev/pts/ptmx "$(jget "$T/c.out" target)"
check_eq "consoleSize applied" "[30, 100, 0, 0]" "$(jget "$T/c.out" winsize)"
data=$(jget "$T/c.out" data)
check_contains "tty prints /dev/pts/0" "/dev/pts/0" "$data"
check_contains "stdio is the pty slave" "/dev/pts/0"$'\r\n'"/dev/pts/0" "$data"
check_contains "/dev/console is the pty slave (136:0)" "88:0" "$data"
check "delete --force" B delete -f "$ID"
make_bundle "$T/notty" true
out=$(B create -b "$T/notty" --console-socket "$T/c.sock" "$ID" 2>&1)
check_contains "console socket without terminal is refused" "cannot use console socket if bottle will not detach or allocate tty" "$out"

# --- exec -t with a console socket
make_bundle "$T/ex" sleep 100
B run -d -b "$T/ex" "$ID" </dev/null >/dev/null 2>&1
check_eq "run -d leaves it running" running "$(B state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
listen "$T/e.sock" "$T/e.out"
check "exec -t --console-socket --detach" B exec -t --console-socket "$T/e.sock" --detach --pid-file "$T/e.pid" "$ID" sh -c 'tty; echo DONE; sleep 1'
wait "$LPID"
check_contains "exec'd process has its own pty" "/dev/pts/" "$(jget "$T/e.out" data)"
check "exec pid file written" test -s "$T/e.pid"
B delete -f "$ID"

# --- foreground run/exec with a terminal and no console socket: bottle proxies a pty (runc does)
if command -v script >/dev/null; then
  make_bundle "$T/fg" sh -c 'tty; read x; echo got=$x; exit 5'
  bundle_edit "$T/fg" 'c["process"]["terminal"]=True'
  out=$(printf 'typed\n' | script -qec "$BOTTLE --root $ROOT run -b $T/fg ${ID}fg" /dev/null); rc=$?
  check_eq "foreground run -t returns the exit code" 5 "$rc"
  check_contains "foreground run -t has a pty" "/dev/pts/0" "$out"
  check_contains "foreground run -t relays stdin" "got=typed" "$out"
  B run -d -b "$T/ex" "$ID" </dev/null >/dev/null 2>&1
  out=$(script -qec "$BOTTLE --root $ROOT exec -t $ID sh -c 'tty; exit 4'" /dev/null </dev/null); rc=$?
  check_eq "foreground exec -t returns the exit code" 4 "$rc"
  check_contains "foreground exec -t has a pty" "/dev/pts/" "$out"
  B delete -f "$ID"
fi

# --- hooks
make_bundle "$T/h" sh -c 'echo main-out'
cat >"$T/edit.py" <<PY
c["hooks"] = {}
for kind in ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]:
    # startContainer runs after pivot_root: it writes into the container's /tmp
    d = "/tmp" if kind == "startContainer" else "$T"
    c["hooks"][kind] = [{"path": "/bin/busybox",
        "args": ["sh", "-c", 'cat > ' + d + '/hk.' + kind + '; echo hook-noise; echo \$0 > ' + d + '/hk.' + kind + '.argv0; readlink /proc/self/ns/mnt > ' + d + '/hk.' + kind + '.mnt'],
        "env": ["HOOKENV=1"]}]
PY
bundle_edit "$T/h" "$(cat "$T/edit.py")"
out=$(B run -b "$T/h" "$ID" 2>&1)
check_eq "hook output never reaches the container's stdout" main-out "$out"
mv "$T"/h/rootfs/tmp/hk.* "$T"/
for kind in prestart createRuntime createContainer startContainer poststart poststop; do
  check "$kind hook ran and read its state to EOF" python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["id"]==sys.argv[2] and j["bundle"]==sys.argv[3]' "$T/hk.$kind" "$ID" "$T/h"
  check_eq "$kind hook argv[0] comes from args" sh "$(cat "$T/hk.$kind.argv0")"
done
host_mnt=$(readlink /proc/self/ns/mnt)
check_eq "prestart runs in the runtime's mount namespace" "$host_mnt" "$(cat "$T/hk.prestart.mnt")"
check_eq "createRuntime runs in the runtime's mount namespace" "$host_mnt" "$(cat "$T/hk.createRuntime.mnt")"
check_fails "createContainer runs in the container's mount namespace" test "$host_mnt" = "$(cat "$T/hk.createContainer.mnt")"
check_eq "prestart sees status created (crun, the spec)" created "$(jget "$T/hk.prestart" status)"
check "prestart gets the init's host pid" test "$(jget "$T/hk.prestart" pid)" -gt 1
check_eq "createContainer gets the same host pid" "$(jget "$T/hk.prestart" pid)" "$(jget "$T/hk.createContainer" pid)"
check_eq "startContainer gets the same host pid" "$(jget "$T/hk.prestart" pid)" "$(jget "$T/hk.startContainer" pid)"
check_eq "poststart sees status running" running "$(jget "$T/hk.poststart" status)"
check_eq "poststop sees status stopped" stopped "$(jget "$T/hk.poststop" status)"

bundle_edit "$T/h" 'c["hooks"]={"prestart":[{"path":"/bin/sh","args":["sh","-c","echo out; echo err >&2; exit 3"]}]}'
out=$(B create -b "$T/h" --pid-file "$T/h.pid" "$ID" 2>&1); rc=$?
check_eq "failing prestart hook fails create" 1 "$rc"
check_contains "hook failure message" "error running hook #0: exit status 3, stdout: out" "$out"
check_contains "hook failure includes stderr" "stderr: err" "$out"
check "no state left after hook failure" test ! -e "$ROOT/$ID"
check "no pid file after hook failure" test ! -e "$T/h.pid"
bundle_edit "$T/h" 'c["hooks"]={"createRuntime":[{"path":"/bin/sh","args":["sh","-c","sleep 30"],"timeout":1}]}'
out=$(B create -b "$T/h" "$ID" 2>&1)
check_contains "hook timeout" "timeout after 1 seconds" "$out"
check "no state left after hook timeout" test ! -e "$ROOT/$ID"
finish

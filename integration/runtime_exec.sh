#!/usr/bin/env bash
# bottle exec (runc-cli.md §4.4, §6.2, §6.3, §11 item 5) and the process
# setup shared with the init: --process files, detach + pid file, the exec'd
# process being the caller's child (subreaper), stdio ownership, 255 and the
# §5.4 error substrings, fd hygiene (CVE-2024-21626), sealed self-exe
# (CVE-2019-5736), user/cwd/env/HOME.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"

T=$(mktemp -d /tmp/bottle-ex.XXXXXX)
# These tests drive plain OCI containers; bottled mode has its own tests.
printf '{"mode": "plain"}\n' >"$T/bottle-config.json"
export BOTTLE_CONFIG=$T/bottle-config.json
ROOT=$T/root
ID=ex$$
cleanup() {
  for id in $("$BOTTLE" --root "$ROOT" list -q 2>/dev/null); do "$BOTTLE" --root "$ROOT" delete -f "$id"; done
  rm -rf "$T"
}
trap cleanup EXIT
B() { "$BOTTLE" --root "$ROOT" --log "$T/log.json" --log-format json "$@"; }

make_bundle "$T/b" sleep 100
B create --bundle "$T/b" --pid-file "$T/init.pid" "$ID" </dev/null || { fail "create"; finish; exit 1; }
init=$(cat "$T/init.pid")
check_contains "init runs from a sealed memfd copy (CVE-2019-5736)" "memfd:bottle" "$(readlink /proc/$init/exe)"

out=$(B exec "$ID" sh -c 'echo created-ok' 2>&1)
check_eq "exec into a created container works" created-ok "$out"
B start "$ID"

# Foreground flag form: exit status, env, cwd, user
check_eq "exec exit status propagates" 42 "$(B exec "$ID" sh -c 'exit 42'; echo $?)"
check_eq "exec killed by signal gives 128+n" 137 "$(B exec "$ID" sh -c 'kill -9 $$'; echo $?)"
check_eq "exec --env" "v1" "$(B exec --env FOO=v1 "$ID" sh -c 'echo $FOO')"
check_eq "exec --cwd" "/tmp" "$(B exec --cwd /tmp "$ID" pwd)"
check_eq "exec --user 1000:1000" "uid=1000(user) gid=1000(user)" "$(B exec --user 1000:1000 "$ID" id)"
check_eq "HOME from /etc/passwd for uid 1000" "/home/user" "$(B exec -u 1000:1000 "$ID" sh -c 'echo $HOME')"
chmod 700 "$T/b/rootfs/root"
check_eq "a cwd only root can enter still works for uid 1000 (runc enters it before setuid)" /root "$(B exec -u 1000:1000 --cwd /root "$ID" pwd)"
out=$(B exec --cwd /nonexistent "$ID" pwd 2>&1)
check_contains "a missing cwd is an error" 'chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory' "$out"
check_eq "HOME for root" "/root" "$(B exec "$ID" sh -c 'echo $HOME')"
check_eq "args after the id are the command (sh -c is not --cap)" "a b" "$(B exec "$ID" sh -c 'echo a b')"
check_eq "exec sees the container's pid namespace" "1" "$(B exec "$ID" sh -c 'ps -o pid,comm | grep -c " sleep"')"
check_eq "exec hostname" bottle-test "$(B exec "$ID" hostname)"

# Errors: 255 and the substrings dockerd maps to 127/126
out=$(B exec "$ID" nope 2>&1); rc=$?
check_eq "missing binary exits 255" 255 "$rc"
check_contains "missing binary message" 'exec: "nope": executable file not found in $PATH' "$out"
out=$(B exec "$ID" /nope 2>&1)
check_contains "missing absolute path says no such file or directory" "no such file or directory" "$out"
out=$(B exec "$ID" /etc/passwd 2>&1)
check_contains "non-executable says permission denied" "permission denied" "$out"
check_contains "log line carries the root cause" 'executable file not found' "$(grep nope "$T/log.json" | head -1)"

# --process file, --detach, --pid-file, stdio ownership, reparenting to the caller (subreaper)
cat >"$T/proc.json" <<'P'
{"terminal": false, "user": {"uid": 1000, "gid": 1000, "additionalGids": [5]}, "args": ["sh", "-c", "id >&2; ls -n /proc/self/fd/; echo $HOME; exec sleep 60"],
 "env": ["PATH=/bin:/usr/bin"], "cwd": "/tmp"}
P
touch "$T/out" "$T/err"
python3 - "$BOTTLE" "$ROOT" "$ID" "$T" <<'PY' >"$T/sub.out" 2>&1
import ctypes, os, subprocess, sys, time
bottle, root, cid, t = sys.argv[1:5]
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
with open(t + "/out", "w") as out, open(t + "/err", "w") as err:
    rc = subprocess.call([bottle, "--root", root, "exec", "--process", t + "/proc.json", "--detach",
                          "--pid-file", t + "/exec.pid", cid], stdin=subprocess.DEVNULL, stdout=out, stderr=err)
print("rc", rc)
pid = int(open(t + "/exec.pid").read())
time.sleep(0.3)
for line in open("/proc/%d/status" % pid):
    if line.startswith("PPid:"):
        print("ppid-is-me", int(line.split()[1]) == os.getpid())
print("comm", open("/proc/%d/comm" % pid).read().strip())
os.kill(pid, 9)
os.waitpid(pid, 0)
print("reaped")
PY
check_contains "detached exec exits 0" "rc 0" "$(cat "$T/sub.out")"
check_contains "exec'd process is the caller's child (subreaper)" "ppid-is-me True" "$(cat "$T/sub.out")"
check_contains "pid file is the user program" "comm sleep" "$(cat "$T/sub.out")"
check_contains "the caller reaps it" "reaped" "$(cat "$T/sub.out")"
check_contains "process file user and additionalGids" "uid=1000(user) gid=1000(user) groups=5(tty)" "$(cat "$T/err")"
check_eq "stdout handed to the container user (fixStdioPermissions)" 1000 "$(stat -c %u "$T/out")"
fds=$(head -n -1 "$T/out" | tail -n +2 | awk '{print $9}' | tr '\n' ' ')
check_eq "only fds 0-2 (+ls's own dir fd) reach the container (CVE-2024-21626)" "0 1 2 3 " "$fds"
check_eq "HOME for uid 1000 via process file" /home/user "$(tail -1 "$T/out")"

# --preserve-fds and LISTEN_FDS pass exactly those fds
out=$(B exec --preserve-fds 1 "$ID" ls /proc/self/fd 3</dev/null 4</dev/null | tr '\n' ' ')
check_eq "--preserve-fds 1 passes fd 3 only" "0 1 2 3 4 " "$out"
out=$(B exec --preserve-fds 3 "$ID" true 2>&1 3</dev/null)
check_contains "--preserve-fds of fds that are not open is refused" "unable to stat preserved-fd 1 (of 3)" "$out"
out=$(LISTEN_FDS=1 B exec "$ID" sh -c 'echo $LISTEN_FDS $LISTEN_PID' 3</dev/null)
check_eq "LISTEN_FDS exported to the container" "1 1" "$out"

# create-time lookup of the program (§4.1 postcondition 3)
make_bundle "$T/b2" nope-binary
out=$(B create --bundle "$T/b2" --pid-file "$T/b2.pid" "${ID}x" 2>&1); rc=$?
check_eq "create with a missing program fails" 1 "$rc"
check_contains "create error has the Go LookPath text" 'exec: "nope-binary": executable file not found in $PATH' "$out"
check "no pid file on failure" test ! -e "$T/b2.pid"
check "no state dir on failure" test ! -e "$ROOT/${ID}x"
check_fails "no cgroup left on failure" test -d "/sys/fs/cgroup/pids$(bundle_cgroup "$T/b2")"

# exec into a stopped container
B kill "$ID" 9
for _ in $(seq 50); do B state "$ID" | grep -q stopped && break; sleep 0.05; done
out=$(B exec "$ID" true 2>&1); rc=$?
check_eq "exec in stopped exits 255" 255 "$rc"
check_contains "exec in stopped message" "cannot exec in a stopped container" "$out"
finish

#!/usr/bin/env bash
# bottle's lifecycle verbs on a busybox bundle (runc-cli.md §4, §5, §6.1, §7,
# §11 items 1-3): create/start/state/kill/delete/list/ps, pid file bytes,
# exec.fifo, status transitions, JSON log lines, error substrings and exit codes.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"

T=$(mktemp -d /tmp/bottle-lc.XXXXXX)
# These tests drive plain OCI containers; bottled mode has its own tests.
printf '{"mode": "plain"}\n' >"$T/bottle-config.json"
export BOTTLE_CONFIG=$T/bottle-config.json
ROOT=$T/root
ID=lc$$
cleanup() {
  for id in $("$BOTTLE" --root "$ROOT" list -q 2>/dev/null); do "$BOTTLE" --root "$ROOT" delete -f "$id"; done
  rm -rf "$T"
}
trap cleanup EXIT
B() { "$BOTTLE" --root "$ROOT" --log "$T/log.json" --log-format json "$@"; }
status_of() { B state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
field_of() { B state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }

make_bundle "$T/b" sleep 100

# --version (§2.2) and bad global flags (§3)
check_contains "--version first line" "bottle version " "$("$BOTTLE" --version | head -1)"
check_contains "--version commit line" "commit: " "$("$BOTTLE" --version)"
out=$("$BOTTLE" --log-format xml state x 2>&1); rc=$?
check_eq "invalid log-format exits 1" 1 "$rc"
check_contains "invalid log-format message" "invalid log-format: xml" "$out"
check "ignored client flags accepted" "$BOTTLE" --root "$ROOT" --criu /usr/sbin/criu --rootless=false --systemd-cgroup=false -debug list -q

# create (§4.1)
B create --bundle "$T/b" --pid-file "$T/init.pid" "$ID" </dev/null >"$T/create.out" 2>&1
check_eq "create exits 0" 0 "$?"
check_eq "create prints nothing" "" "$(cat "$T/create.out")"
pid=$(cat "$T/init.pid")
check_eq "pid file is digits only, no newline" "$pid" "$(tr -cd 0-9 <"$T/init.pid")"
check_eq "pid file has no trailing newline" "$(printf %s "$pid" | wc -c)" "$(wc -c <"$T/init.pid")"
check "init process exists" test -d "/proc/$pid"
check_eq "status created" created "$(status_of "$ID")"
check "exec.fifo present while created" test -p "$ROOT/$ID/exec.fifo"
check_eq "state dir mode 0711" 711 "$(stat -c %a "$ROOT/$ID")"
check_contains "init already in its cgroup" "$(bundle_cgroup "$T/b")" "$(cat /proc/$pid/cgroup)"
check_eq "state pid = pid file" "$pid" "$(field_of "$ID" pid)"
check_eq "state bundle absolute" "$T/b" "$(field_of "$ID" bundle)"
check_eq "state rootfs" "$T/b/rootfs" "$(field_of "$ID" rootfs)"
created=$(field_of "$ID" created)
check "created is RFC 3339" python3 -c 'import sys,datetime; s=sys.argv[1]; assert s.endswith("Z"); datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")' "$created"
check_contains "init is blocked before exec (not yet sleep)" "bottle" "$(cat /proc/$pid/comm; readlink /proc/$pid/exe)"

out=$(B create --bundle "$T/b" "$ID" 2>&1); rc=$?
check_eq "duplicate id exits 1" 1 "$rc"
check_contains "duplicate id message" "container with given ID already exists" "$out"
out=$(B create --bundle "$T/b" "bad/id" 2>&1)
check_contains "invalid id rejected" "invalid container ID format" "$out"

# start (§4.2)
B start "$ID" >"$T/start.out" 2>&1
check_eq "start exits 0" 0 "$?"
check_eq "start prints nothing" "" "$(cat "$T/start.out")"
check_eq "status running" running "$(status_of "$ID")"
check "exec.fifo gone after start" test ! -e "$ROOT/$ID/exec.fifo"
check_eq "init became the user program" sleep "$(cat /proc/$pid/comm)"
out=$(B start "$ID" 2>&1); rc=$?
check_eq "second start exits 1" 1 "$rc"
check_contains "second start message" "cannot start an already running container" "$out"
check "log has only JSON lines with RFC 3339 time" python3 -c '
import json, sys, datetime
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["level"] in ("debug", "info", "warning", "error"), o
    datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%SZ")
' "$T/log.json"
check_contains "last log line is the error" "cannot start an already running container" "$(tail -1 "$T/log.json")"

# list and ps (§4.8, §4.9)
check_contains "list table header" "ID          PID         STATUS      BUNDLE" "$(B list)"
check_contains "list table row" "$ID" "$(B list)"
check_eq "list -q" "$ID" "$(B list -q)"
check "list json parses" python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert a[0]["id"]==sys.argv[2] and a[0]["owner"]=="root" and a[0]["status"]=="running"' "$(B list --format=json)" "$ID"
check_eq "ps json = [init pid]" "[$pid]" "$(B ps --format json "$ID" 2>&1)"
check_contains "ps table keeps header" "PID" "$(B ps "$ID" | head -1)"
check_contains "ps table shows sleep" "sleep 100" "$(B ps "$ID")"
mkdir "$ROOT/garbage"
check_eq "list skips unparseable dirs" "$ID" "$(B list -q 2>/dev/null)"
rmdir "$ROOT/garbage"

# delete refuses a running container (§4.6)
out=$(B delete "$ID" 2>&1); rc=$?
check_eq "delete running exits 1" 1 "$rc"
check_contains "delete running message" "cannot delete container $ID that is not stopped: running" "$out"

# kill (§4.5): by name, then stopped semantics
check "kill by name SIGKILL" B kill "$ID" KILL
for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.05; done
check_eq "status stopped" stopped "$(status_of "$ID")"
check_eq "pid 0 when stopped" 0 "$(field_of "$ID" pid)"
out=$(B kill "$ID" 9 2>&1); rc=$?
check_eq "kill stopped exits 1" 1 "$rc"
check_contains "kill stopped message" "container not running" "$out"
check "kill --all on stopped exits 0" B kill --all "$ID" 9
check_eq "ps json on stopped is null" null "$(B ps --format json "$ID" 2>&1)"
check "delete stopped" B delete "$ID"
out=$(B delete "$ID" 2>&1); rc=$?
check_eq "delete missing exits 1" 1 "$rc"
check_contains "delete missing says does not exist" "does not exist" "$out"
check "delete --force missing exits 0" B delete --force "$ID"
out=$(B state "$ID" 2>/dev/null); rc=$?
check_eq "state missing exits 1" 1 "$rc"
check_eq "state missing prints nothing on stdout" "" "$out"
check_eq "list json with no containers is null" null "$(B list --format json)"

# same id again after delete (docker restart), kill with a number, delete of a created container
check "re-create same id" B create --bundle "$T/b" --pid-file "$T/init.pid" "$ID"
check "delete created container" B delete "$ID"
gone() { [ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
check "created init is gone (or a zombie awaiting its reaper)" gone "$(cat "$T/init.pid")"
check "no cgroup left" test ! -d "/sys/fs/cgroup/pids$(bundle_cgroup "$T/b")"

# single-dash long flags and flags with '=' (go-runc forms)
check "single-dash create flags" B create -bundle="$T/b" -pid-file "$T/p2" "$ID"
check "kill with decimal signal" B kill "$ID" 15
check "delete --force=true a killed container" B delete --force=true "$ID"

# start of a created container whose init died
B create --bundle "$T/b" --pid-file "$T/p3" "$ID" && kill -9 "$(cat "$T/p3")"
sleep 0.1
out=$(B start "$ID" 2>&1); rc=$?
check_eq "start of dead init exits 1" 1 "$rc"
check_contains "start of dead init message" "stopped" "$out"
check "delete it" B delete "$ID"

# wrong argument count
out=$("$BOTTLE" --root "$ROOT" state 2>&1); rc=$?
check_eq "state without id exits 1" 1 "$rc"
check_contains "Incorrect Usage" "Incorrect Usage." "$out"

# a crash mid-create (the runtime SIGKILLed from a prestart hook) leaves a state
# that delete --force cleans up, cgroup included (§4.6)
make_bundle "$T/crash" sleep 100
bundle_edit "$T/crash" 'c["hooks"]={"prestart":[{"path":"/bin/sh","args":["sh","-c","kill -9 $PPID"]}]}'
B create -b "$T/crash" --pid-file "$T/crash.pid" "${ID}c" >/dev/null 2>&1
check "crashed create left its state dir" test -d "$ROOT/${ID}c"
check "crashed create left its cgroup" test -d "/sys/fs/cgroup/pids$(bundle_cgroup "$T/crash")"
check "no pid file after the crash" test ! -e "$T/crash.pid"
check "delete --force after a crash" B delete --force "${ID}c"
check "state dir removed" test ! -e "$ROOT/${ID}c"
check "cgroup removed" test ! -d "/sys/fs/cgroup/pids$(bundle_cgroup "$T/crash")"

# per-container locks: a create blocked in a hook does not hold up verbs on other containers
make_bundle "$T/slow" sleep 100
bundle_edit "$T/slow" "c['hooks']={'prestart':[{'path':'/bin/sh','args':['sh','-c','while [ ! -e $T/release ]; do sleep 0.05; done']}]}"
B create -b "$T/slow" "${ID}s" >/dev/null 2>&1 </dev/null &
SLOWPID=$!
for _ in $(seq 100); do [ -d "$ROOT/${ID}s" ] && break; sleep 0.05; done
check "other container: create while another create holds its lock" B create -b "$T/b" "${ID}o"
check_contains "other container: state" '"created"' "$(B state "${ID}o")"
check "other container: delete" B delete -f "${ID}o"
check "the slow create is still in its hook" kill -0 "$SLOWPID"
touch "$T/release"
wait "$SLOWPID"
check_eq "the slow create then finishes" created "$(status_of "${ID}s")"
check "delete it" B delete "${ID}s"

# foreground run: exit status, signal forwarding, cleanup (§4.3)
make_bundle "$T/r" sh -c 'trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done'
"$BOTTLE" --root "$ROOT" run -b "$T/r" "${ID}r" >"$T/r.out" 2>&1 </dev/null &
RUNPID=$!
for _ in $(seq 100); do grep -qs ready "$T/r.out" && break; sleep 0.05; done
kill -TERM "$RUNPID"
wait "$RUNPID"
check_eq "run forwards SIGTERM and exits with the container's status" 9 "$?"
check "run deleted the container" test ! -e "$ROOT/${ID}r"
make_bundle "$T/k" sleep 100
"$BOTTLE" --root "$ROOT" run -b "$T/k" "${ID}k" </dev/null &
RUNPID=$!
for _ in $(seq 100); do [ "$(status_of "${ID}k" 2>/dev/null)" = running ] && break; sleep 0.05; done
kill -9 "$(field_of "${ID}k" pid)"
wait "$RUNPID"
check_eq "run of a SIGKILLed container exits 137" 137 "$?"
make_bundle "$T/k2" true
"$BOTTLE" --root "$ROOT" run --keep -b "$T/k2" "${ID}k" </dev/null
check_eq "run --keep leaves a stopped container" stopped "$(status_of "${ID}k")"
check "delete it" B delete "${ID}k"
"$BOTTLE" --root "$ROOT" run -d -b "$T/b" "${ID}d" </dev/null >"$T/d.out" 2>&1
check_eq "run -d exits 0 and prints nothing" "0:" "$?:$(cat "$T/d.out")"
check_eq "run -d leaves it running" running "$(status_of "${ID}d")"
check "delete --force a running container" B delete --force "${ID}d"

# features / spec
check "features is pure JSON" python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert "prestart" in j["hooks"] and "rro" in j["mountOptions"] and "idmap" not in j["mountOptions"]' "$("$BOTTLE" features)"
mkdir "$T/spec"
(cd "$T/spec" && "$BOTTLE" spec) && check "spec writes runc's template" python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["process"]["args"]==["sh"] and j["root"]["path"]=="rootfs"' "$T/spec/config.json"
check_fails "spec refuses to overwrite" bash -c "cd '$T/spec' && '$BOTTLE' spec 2>/dev/null"
mkdir "$T/spec2"
(cd "$T/spec2" && "$BOTTLE" spec --rootless) && check "spec --rootless has a user namespace" python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert any(n["type"]=="user" for n in j["linux"]["namespaces"]) and j["linux"]["uidMappings"]' "$T/spec2/config.json"
finish

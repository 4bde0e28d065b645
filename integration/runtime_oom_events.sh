#!/usr/bin/env bash
# `bottle events` reports an OOM kill as runc does: a container with a 32 MiB memory limit runs a
# process that outgrows it, the kernel's memory cgroup kills that process, and the event stream
# that was already running prints {"type":"oom","id":"<id>"} (no data), besides its stats lines,
# and ends when the container stops. containerd's go-runc and Docker read OOMs from this shape.
source "$(dirname "$0")/../tests/lib.sh"
source "$BOTTLE_TOP/tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "no $BOTTLE (run make)"
[ -e /sys/fs/cgroup/memory/cgroup.procs ] || [ -e /sys/fs/cgroup/cgroup.controllers ] ||
  skip "no memory cgroup controller"

T=$(mktemp -d /tmp/oom-events.XXXXXX)
id=oom-events-$$
cg=/bottle-test-oom-$$
R=(timeout 20 "$BOTTLE" --root "$T/root")
events_pid=
cleanup() {
  [ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null
  "${R[@]}" delete --force "$id" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

# The shell waits for /go, then tail keeps all of 256 MB of zeros (no newline) in memory; the
# kernel kills tail and the shell lives on, so the container keeps running. tail asks to be the
# OOM killer's first choice (oom_score_adj 1000; lowering the shell's needs CAP_SYS_RESOURCE,
# which this host's bounding set lacks): once, in CI, the shell was killed too.
make_bundle "$T/b" sh -c 'while [ ! -e /go ]; do sleep 0.05; done; head -c 268435456 /dev/zero | (echo 1000 >/proc/self/oom_score_adj; exec tail); echo survived; sleep 1000' >/dev/null
bundle_edit "$T/b" "
c['linux']['cgroupsPath'] = '$cg'
r = c['linux'].setdefault('resources', {})
r['memory'] = {'limit': 33554432}
import os
if os.path.exists('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'): r['memory']['swap'] = 33554432
"
check "create" "${R[@]}" create --bundle "$T/b" "$id"
check "start" "${R[@]}" start "$id"

# Follow the events from before the kill: the first stats line says the stream is running.
"$BOTTLE" --root "$T/root" events --interval 1s "$id" >"$T/events.out" 2>"$T/events.err" &
events_pid=$!
for _ in $(seq 200); do [ -s "$T/events.out" ] && break; sleep 0.05; done
check_contains "events started with a stats line" '"type":"stats"' "$(head -n 1 "$T/events.out")"
check_fails "no oom event before the kill" grep -q '"type":"oom"' "$T/events.out"

touch "$T/b/rootfs/go"
for _ in $(seq 600); do grep -q '"type":"oom"' "$T/events.out" && break; sleep 0.05; done
kills=$(sed -n 's/^oom_kill //p' "/sys/fs/cgroup/memory$cg/memory.oom_control" 2>/dev/null)
[ -n "$kills" ] || kills=$(sed -n 's/^oom_kill //p' "/sys/fs/cgroup$cg/memory.events" 2>/dev/null)
echo "kernel oom_kill counter: $kills"
check "the kernel OOM-killed a process of the container" test "${kills:-0}" -ge 1
check_eq "the container still runs (only tail was killed)" running \
  "$("${R[@]}" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"

stats=$("${R[@]}" events --stats "$id" 2>&1)
check_contains "--stats prints one stats line" '"type":"stats"' "$stats"
check_fails "--stats prints no oom event" grep -q '"type":"oom"' <<<"$stats"

# Stopping the container ends the stream.
check "kill the container" "${R[@]}" kill "$id" KILL
wait "$events_pid"
rc=$?
events_pid=
check_eq "events exits 0 when the container stops" 0 "$rc"
cat "$T/events.out" "$T/events.err"
check_eq "one oom event, in runc's shape" "{\"type\":\"oom\",\"id\":\"$id\"}" \
  "$(grep '"type":"oom"' "$T/events.out")"
check "every line is an event of this container" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["id"] == sys.argv[2] and e["type"] in ("stats", "oom"), line
    assert ("data" in e) == (e["type"] == "stats"), line
' "$T/events.out" "$id"
finish

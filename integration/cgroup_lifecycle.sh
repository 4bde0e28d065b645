#!/usr/bin/env bash
# cgroups through the bottle binary on this host (v1 or hybrid): placement in
# every hierarchy, resources at create, `update` (Docker's all-zero shape,
# pids -1, the flag forms), `pause`/`resume` through the freezer, `events
# --stats`, `ps`, `kill` of a paused container, `delete` removing the
# directories. The same sequence runs under runc on the same bundle when runc
# is installed, and the observations must match line for line.
source "$(dirname "$0")/../tests/lib.sh"
source "$BOTTLE_TOP/tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "no $BOTTLE (run make)"
[ -e /sys/fs/cgroup/memory/cgroup.procs ] || skip "needs a v1 or hybrid cgroup host (no memory v1 hierarchy)"
[ -e /sys/fs/cgroup/freezer/cgroup.procs ] || skip "needs the v1 freezer hierarchy"

T=$(mktemp -d /tmp/cgroup-lifecycle.XXXXXX)
PARENT=/bottle-test-cg-$$
cleanup() {
  timeout 10 "$BOTTLE" --root "$T/root-bottle" delete --force "cg-bottle-$$" >/dev/null 2>&1
  command -v runc >/dev/null &&
    timeout 10 runc --root "$T/root-runc" delete --force "cg-runc-$$" >/dev/null 2>&1
  local h
  for h in /sys/fs/cgroup/*; do
    [ -d "$h$PARENT" ] && find "$h$PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT

memsw=false
[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && memsw=true

# observe RUNTIME NAME: runs the sequence, prints "key=value" lines.
observe() {
  local rt=$1 name=$2 root=$T/root-$(basename "$1") b=$T/$2 id=cg-$2-$$
  local cg=$PARENT/$name d=/sys/fs/cgroup
  make_bundle "$b" sleep 1000 >/dev/null
  bundle_edit "$b" "
c['linux']['cgroupsPath'] = '$cg'
r = c['linux']['resources']
r['memory'] = {'limit': 104857600, 'reservation': 52428800}
if $([ $memsw = true ] && echo True || echo False): r['memory']['swap'] = 209715200
r['pids'] = {'limit': 100}
r['cpu'] = {'shares': 512, 'quota': 50000, 'period': 100000, 'cpus': '0', 'mems': '0'}
r['blockIO'] = {'weight': 0}
r['devices'] += [
  {'allow': True, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rwm'},
  {'allow': True, 'type': 'c', 'major': 1, 'minor': 5, 'access': 'rwm'},
  {'allow': True, 'type': 'b', 'major': 7, 'access': 'r'},
]
"
  local R=(timeout 20 "$rt" --root "$root")
  "${R[@]}" create --bundle "$b" "$id" </dev/null >/dev/null 2>"$T/$name.err" || {
    echo "create=failed: $(cat "$T/$name.err")"
    return
  }
  "${R[@]}" start "$id" >/dev/null 2>&1 && echo "start=ok"
  local pid
  pid=$("${R[@]}" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
  # placement: every v1 hierarchy the kernel shows, and the unified one on hybrid hosts
  sed -n "s|^[0-9]*:\([^:]*\):$cg\$|joined=\1|p" "/proc/$pid/cgroup" | sort
  echo "memory.limit=$(cat $d/memory$cg/memory.limit_in_bytes)"
  echo "memory.soft=$(cat $d/memory$cg/memory.soft_limit_in_bytes)"
  $memsw && echo "memsw=$(cat $d/memory$cg/memory.memsw.limit_in_bytes)"
  echo "pids.max=$(cat $d/pids$cg/pids.max)"
  echo "cpu.shares=$(cat $d/cpu$cg/cpu.shares)"
  echo "cpu.quota=$(cat $d/cpu$cg/cpu.cfs_quota_us) period=$(cat $d/cpu$cg/cpu.cfs_period_us)"
  echo "cpuset=$(cat $d/cpuset$cg/cpuset.cpus)/$(cat $d/cpuset$cg/cpuset.mems)"
  echo "cpuset.parent=$(cat $d/cpuset$PARENT/cpuset.cpus)"
  local devices_before
  devices_before=$(sort "$d/devices$cg/devices.list")
  echo "$devices_before" | sed 's/^/devices: /'

  echo '{"blockIO":{"weight":0},"cpu":{"shares":0,"period":0,"quota":0},"memory":{"limit":209715200,"reservation":0,"kernel":0}}' |
    "${R[@]}" update --resources - "$id" && echo "update.docker=ok"
  echo "after docker update: memory=$(cat $d/memory$cg/memory.limit_in_bytes) pids=$(cat $d/pids$cg/pids.max) shares=$(cat $d/cpu$cg/cpu.shares) quota=$(cat $d/cpu$cg/cpu.cfs_quota_us)"
  echo '{"memory":{"limit":0},"pids":{"limit":-1}}' | "${R[@]}" update --resources=- "$id" && echo "update.pids=ok"
  echo "after pids -1: memory=$(cat $d/memory$cg/memory.limit_in_bytes) pids=$(cat $d/pids$cg/pids.max)"
  "${R[@]}" update --memory 314572800 --memory-swap 629145600 --pids-limit 50 --cpu-share 256 \
    --cpu-quota 20000 --cpu-period 100000 "$id" && echo "update.flags=ok"
  echo "after flags: memory=$(cat $d/memory$cg/memory.limit_in_bytes) pids=$(cat $d/pids$cg/pids.max) shares=$(cat $d/cpu$cg/cpu.shares) quota=$(cat $d/cpu$cg/cpu.cfs_quota_us)"
  $memsw && echo "after flags: memsw=$(cat $d/memory$cg/memory.memsw.limit_in_bytes)"
  [ "$devices_before" = "$(sort "$d/devices$cg/devices.list")" ] && echo "update left devices alone"

  "${R[@]}" pause "$id" && echo "pause=ok"
  echo "freezer=$(cat $d/freezer$cg/freezer.state)"
  echo "status=$("${R[@]}" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
  "${R[@]}" resume "$id" && echo "resume=ok"
  echo "freezer=$(cat $d/freezer$cg/freezer.state)"
  echo "status=$("${R[@]}" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"

  "${R[@]}" events --stats "$id" | python3 -c '
import json, sys
e = json.loads(sys.stdin.readline())
d = e["data"]
print("events.type=%s" % e["type"])
print("events.memory.limit=%d" % d["memory"]["usage"]["limit"])
print("events.memory.usage>0=%s" % (d["memory"]["usage"]["usage"] > 0))
print("events.memory.raw.rss=%s" % ("rss" in d["memory"].get("raw", {})))
print("events.pids=%d/%d" % (d["pids"]["current"], d["pids"].get("limit", 0)))
print("events.cpu.total>0=%s" % (d["cpu"]["usage"].get("total", 0) > 0))
print("events.cpu.percpu=%d" % len(d["cpu"]["usage"].get("percpu", [])))
print("events.blkio=%s" % ("blkio" in d))
'
  echo "ps=$("${R[@]}" ps --format json "$id" | python3 -c "import json,sys; print(json.load(sys.stdin) == [$pid])")"

  "${R[@]}" pause "$id" && echo "pause.again=ok"
  "${R[@]}" kill "$id" KILL && echo "kill.paused=ok"
  local i
  for i in $(seq 50); do
    [ "$("${R[@]}" state "$id" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = stopped ] && break
    sleep 0.1
  done
  echo "status.after.kill=$("${R[@]}" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
  echo "freezer.after.kill=$(cat $d/freezer$cg/freezer.state 2>/dev/null)"
  "${R[@]}" delete "$id" && echo "delete=ok"
  local left=""
  for h in /sys/fs/cgroup/*; do [ -d "$h$cg" ] && left="$left $h"; done
  echo "dirs.left=${left:-none}"
}

mine=$(observe "$BOTTLE" bottle)
echo "$mine" | sed 's/^/# bottle: /'
check_contains "bottle: create and start" "start=ok" "$mine"
check_contains "bottle: memory limit set at create" "memory.limit=104857600" "$mine"
check_contains "bottle: pids limit set at create" "pids.max=100" "$mine"
check_contains "bottle: joined the memory hierarchy" "joined=memory" "$mine"
check_contains "bottle: joined name=systemd" "joined=name=systemd" "$mine"
check_contains "bottle: cpuset parent inherits cpus" "cpuset.parent=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)" "$mine"
check_contains "bottle: /dev/ptmx allowed by the default list" "devices: c 5:2 rwm" "$mine"
check_contains "bottle: docker's zero update keeps pids and shares" \
  "after docker update: memory=209715200 pids=100 shares=512 quota=50000" "$mine"
check_contains "bottle: pids -1 means max" "after pids -1: memory=209715200 pids=max" "$mine"
check_contains "bottle: flag update" "after flags: memory=314572800 pids=50 shares=256 quota=20000" "$mine"
check_contains "bottle: pause freezes" "freezer=FROZEN" "$mine"
check_contains "bottle: paused state" "status=paused" "$mine"
check_contains "bottle: events --stats memory limit" "events.memory.limit=314572800" "$mine"
check_contains "bottle: events --stats pids" "events.pids=1/50" "$mine"
check_contains "bottle: ps lists the init" "ps=True" "$mine"
check_contains "bottle: kill on a paused container stops it" "status.after.kill=stopped" "$mine"
check_contains "bottle: delete removes every cgroup dir" "dirs.left=none" "$mine"

if command -v runc >/dev/null; then
  theirs=$(observe "$(command -v runc)" runc)
  echo "$theirs" | sed 's/^/# runc:   /'
  check_eq "bottle and runc observe the same cgroup behaviour" "$theirs" "$mine"
  if [ "$theirs" != "$mine" ]; then
    diff <(echo "$theirs") <(echo "$mine") | sed 's/^/# /'
  fi
else
  echo "# runc not installed: no comparison"
fi
finish

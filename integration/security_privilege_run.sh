#!/usr/bin/env bash
# Issue 9 items 4 and 5 with bottle-run (integration/bottled.lib.sh): a bundle that asks for
# privilege that leaves the container (capabilities, host block devices, an unmasked /proc, a
# writable /sys, a second proc) or binds what leaves it (an engine's API socket, by any
# spelling; a directory holding one; /; the host's /proc; nsfs files and the directories that
# hold netns mounts) is refused at create with one line naming the item and the bottle.json
# opt-in, and leaves nothing behind. With the operator's opt-in (agent.*) it runs, and the plan
# says what was granted. Plain mode keeps what the bundle asks for. exec cannot add capabilities
# beyond the agent's bounding set.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup privrun
before=$(bt_snapshot)
plan_id() { sed -n 's/^bottle plan for \([^ :]*\).*/\1/p' <<<"$1" | head -1; }

# refused WHAT PYTHON WANT...: a bundle edited by PYTHON is refused with every WANT in the
# output, the agent never runs, and nothing is left.
n=0
refused() {
  local what=$1 edit=$2 out rc w
  shift 2
  n=$((n + 1))
  bottled_agent "$BT/r$n" sh -c 'echo agent-ran'
  bundle_edit "$BT/r$n" "$edit"
  out=$(bt_run --yes "$BT/r$n" </dev/null 2>&1)
  rc=$?
  check "$what: refused (exit $rc)" test "$rc" -ne 0
  for w in "$@"; do check_contains "$what: says $w" "$w" "$out"; done
  check_eq "$what: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$what: the agent never ran" grep -q agent-ran <<<"$out"
  check_same "$what: nothing left behind" "$before" "$(settle bt_snapshot "$before")"
}

caps='c["process"]["capabilities"]["bounding"] += ["%s"]'
refused "CAP_SYS_ADMIN" "${caps/\%s/CAP_SYS_ADMIN}" \
  "process.capabilities.bounding: CAP_SYS_ADMIN lets a bottled agent leave its bottle" \
  "remove it (docker: drop --cap-add SYS_ADMIN) or allow it in bottle.json agent.allow_capabilities"
for cap in CAP_SYS_MODULE CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_SYS_RAWIO CAP_SYS_BOOT CAP_BPF \
  CAP_PERFMON; do
  refused "$cap" "${caps/\%s/$cap}" "$cap lets a bottled agent leave its bottle" \
    "agent.allow_capabilities"
done
refused "CAP_SYS_PTRACE in the ambient set only" \
  'c["process"]["capabilities"]["ambient"] = ["CAP_SYS_PTRACE"]' \
  "process.capabilities.ambient: CAP_SYS_PTRACE"
refused "a host block device" \
  'c["linux"]["devices"] = [{"path": "/dev/xvda", "type": "b", "major": 7, "minor": 0}]' \
  "linux.devices[0]: /dev/xvda (b 7:0) is a host block device" "agent.allow_devices"
refused "a device rule for every block device" \
  'c["linux"]["resources"]["devices"].append({"allow": True, "type": "b", "access": "rw"})' \
  "linux.resources.devices[1]: allowing b *:* rw" "agent.allow_devices"
refused "/dev/mem" \
  'c["linux"]["resources"]["devices"].append({"allow": True, "type": "c", "major": 1, "minor": 1, "access": "r"})' \
  "allowing c 1:1 r" "agent.allow_devices"
refused "no /proc masks" 'c["linux"]["maskedPaths"] = []; c["linux"]["readonlyPaths"] = []' \
  "linux.maskedPaths: /proc/acpi is left open" "agent.allow_unmasked_proc"
refused "a second proc" 'c["mounts"].append({"destination": "/hostproc", "type": "proc", "source": "proc"})' \
  "mounts[6]: a proc at /hostproc gets none of the /proc masks" "agent.allow_unmasked_proc"
refused "a writable sysfs" 'c["mounts"][5]["options"] = ["nosuid", "noexec", "nodev", "rw"]' \
  "mounts[5]: sysfs at /sys is writable" "agent.allow_writable_sys"

# Bind mounts, judged by what the source is. An engine's socket of our own: a unix socket named
# docker.sock, reached directly, through a symlink and through ".." and trailing slashes.
mkdir -p "$BT/engine" "$BT/plain"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$BT/engine/docker.sock"
ln -s "$BT/engine/docker.sock" "$BT/sock-link"
bind='c["mounts"].append({"destination": "/x", "type": "bind", "source": "%s", "options": ["rbind"]})'
refused "bind of an engine's socket" "${bind/\%s/$BT/engine/docker.sock}" \
  "mounts[6].source: $BT/engine/docker.sock, bound at /x in a bottled agent" \
  "is a container engine's API socket" "or allow the host path in bottle.json agent.allow_mounts"
refused "bind of a symlink to it" "${bind/\%s/$BT/sock-link}" \
  "$BT/engine/docker.sock is a container engine's API socket"
refused "bind of its directory, spelled with .. and a trailing slash" \
  "${bind/\%s/$BT/plain/../engine/}" "$BT/engine holds $BT/engine/docker.sock"
refused "bind of /" "${bind/\%s//}" "it is the host's whole filesystem"
refused "bind of /run (the engines' sockets and netns)" "${bind/\%s//var/run/../run/}" "/run holds"
refused "bind of the host's /proc" "${bind/\%s//proc}" "it is the host's /proc"
refused "bind of /proc/<pid>/root" "${bind/\%s//proc/self/root}" "it is the host's whole filesystem"
refused "bind of a netns file" "${bind/\%s//run/netns/$BT_HOST}" "it is a namespace file (nsfs)"
refused "bind of /run/netns" "${bind/\%s//run/netns}" "/run/netns"
refused "bind of /sys, read-only on top only" \
  'c["mounts"].append({"destination": "/x", "type": "bind", "source": "/sys", "options": ["rbind", "ro"]})' \
  "kernel-knob filesystem left writable" "agent.allow_writable_sys"

# With the operator's opt-in: the agent runs with what was allowed, and the plan says so.
bottled_config "$BT/allow.json" \
  "c['agent'] = {'allow_capabilities': ['CAP_SYS_PTRACE'], 'allow_mounts': ['$BT/sock-link']}"
bottled_agent "$BT/allowed" sh -c 'grep CapEff /proc/self/status; test -S /x && echo socket-there'
bundle_edit "$BT/allowed" "${caps/\%s/CAP_SYS_PTRACE}
for k in ('effective', 'permitted'): c['process']['capabilities'][k] += ['CAP_SYS_PTRACE']
${bind/\%s/$BT/engine/docker.sock}"
out=$(BT_CONFIG_FILE=$BT/allow.json bt_run --yes "$BT/allowed" </dev/null 2>&1)
check_eq "opt-in: the agent runs" 0 "$?"
[ -n "$(plan_id "$out")" ] && bt_track "$(plan_id "$out")"
capeff=$(awk '/^CapEff/ {print $2}' <<<"$out")
check_eq "opt-in: CAP_SYS_PTRACE kept (CapEff $capeff)" 1 "$(((0x${capeff:-0} >> 19) & 1))"
check_contains "opt-in: the socket is bound" "socket-there" "$out"
check_contains "opt-in: the plan says what was granted" \
  "  granted:  CAP_SYS_PTRACE (agent.allow_capabilities), the host's $BT/engine/docker.sock at /x (agent.allow_mounts)" "$out"
check_contains "opt-in: the log says so too" "allow.json grants it CAP_SYS_PTRACE" "$out"
check_same "opt-in: nothing left behind" "$before" "$(settle bt_snapshot "$before")"
# The opt-in grants what it names only.
bundle_edit "$BT/allowed" "${caps/\%s/CAP_SYS_ADMIN}"
out=$(BT_CONFIG_FILE=$BT/allow.json bt_run --yes "$BT/allowed" </dev/null 2>&1)
check_contains "opt-in of CAP_SYS_PTRACE does not grant CAP_SYS_ADMIN" \
  "CAP_SYS_ADMIN lets a bottled agent leave its bottle" "$out"

# Plain mode: what the bundle asks for (runc's behaviour).
bottled_config "$BT/plain.json" 'c["mode"] = "plain"'
bottled_agent "$BT/plainagent" sh -c 'grep CapEff /proc/self/status'
bundle_edit "$BT/plainagent" "for k in ('bounding', 'effective', 'permitted'): c['process']['capabilities'][k] += ['CAP_SYS_ADMIN']"
out=$(BT_CONFIG_FILE=$BT/plain.json bt_run --yes "$BT/plainagent" </dev/null 2>&1)
check_eq "plain mode: CAP_SYS_ADMIN runs" 0 "$?"
capeff=$(awk '/^CapEff/ {print $2}' <<<"$out")
check_eq "plain mode: CAP_SYS_ADMIN kept (CapEff $capeff)" 1 "$(((0x${capeff:-0} >> 21) & 1))"

# exec cannot add what the agent's bounding set does not hold (docker exec --privileged).
bottled_agent "$BT/execagent" sleep 600
bt_track execagent
(cd "$BT/execagent" && bt run -d execagent </dev/null >"$BT/execagent.log" 2>&1) || cat "$BT/execagent.log"
capbnd=$(bt exec --cap CAP_SYS_ADMIN --cap CAP_SYS_MODULE execagent grep CapBnd /proc/self/status </dev/null 2>&1)
check_eq "exec --cap CAP_SYS_ADMIN --cap CAP_SYS_MODULE: the agent's bounding set only" \
  "$(bt exec execagent grep CapBnd /proc/self/status </dev/null 2>&1)" "$capbnd"
capbnd=$(awk '{print $2}' <<<"$capbnd")
check_eq "exec: no CAP_SYS_ADMIN or CAP_SYS_MODULE ($capbnd)" 0 "$(((0x${capbnd:-0} >> 16) & 0x21))"
bt delete --force execagent >/dev/null 2>&1
check_same "exec: nothing left behind" "$before" "$(settle bt_snapshot "$before")"
finish

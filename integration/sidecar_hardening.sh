#!/usr/bin/env bash
# Issue 9, items 3, 6, 8 and 11 (the sidecar's side), on a RUNNING sidecar (bottle create with
# the pipelock double): every hardening property the README claims, read from the kernel rather
# than from the spec bottle wrote.
#   - /proc/<pid>/status: NoNewPrivs 1, seccomp filter mode, uid/gid SIDECAR_UID (2147483000)
#     with no supplementary group, and no capability but CAP_WAKE_ALARM (the ptrace guard,
#     docs/design.md) in any set;
#   - its own pid, mount, ipc and uts namespaces (not the host's, not the agent's), the host's
#     user namespace (on purpose: docs/design.md);
#   - a read-only root (mountinfo, and a write that fails);
#   - its cgroup "<agent's cgroupsPath>-bottle-sidecar" with the CPU, memory and pids limits of
#     sidecar.resources, gone after delete;
#   - /etc/pipelock.yaml 0600 and owned by the sidecar's uid; /etc/hosts localhost only;
#     resolv.conf network.dns;
#   - an attacker with an agent's credentials (uid 0 with Docker's default capability set, no
#     CAP_SYS_PTRACE), given the sidecar's pid, cannot open its memory for writing or read its
#     environ, neither as root nor after taking on the sidecar's uid and gid (CAP_SETUID), with
#     or without keeping its capabilities (SECBIT_NO_SETUID_FIXUP);
#     the same attacker can open the memory of a root process without capabilities (the old
#     sidecar's shape: the harness works).
# And item 6 in the CRI shape: an engine-given netns and /etc/hosts, /etc/resolv.conf bind-mounted
# from files the agent can write that outlive the container (kubelet's etc-hosts, containerd's
# resolv.conf): what the agent appends never reaches the next sidecar.
. "$(dirname "$0")/bottled.lib.sh"
command -v setpriv >/dev/null || skip "needs setpriv"
bottled_setup sidecar-hard

SUID=2147483000
bottled_config "$BT/bottle.json" \
  'c["sidecar"]["resources"] = {"cpus": 0.5, "memory_bytes": 100 << 20, "pids": 64}'
BT_CONF=$BT/bottle.json

A=hard-a-$$
bt_track "$A"
bottled_agent "$BT/a" sleep 600
before=$(bt_snapshot)
bt create --bundle "$BT/a" "$A" >/dev/null || fail "create $A"
bt start "$A" || fail "start $A"
sp=$(bt_sidecar_pid "$A") ap=$(bt_init_pid "$A")
check "the sidecar runs" kill -0 "$sp"
check "the agent runs" kill -0 "$ap"

# --- credentials, capabilities, no_new_privs, seccomp
st=$(cat "/proc/$sp/status")
field() { awk -v k="$1:" '$1 == k {$1 = ""; sub(/^ /, ""); print}' <<<"$st"; }
check_eq "NoNewPrivs" 1 "$(field NoNewPrivs)"
check_eq "Seccomp: a filter" 2 "$(field Seccomp)"
check_eq "uids: real, effective, saved, fs" "$SUID $SUID $SUID $SUID" "$(field Uid)"
check_eq "gids: real, effective, saved, fs" "$SUID $SUID $SUID $SUID" "$(field Gid)"
check_eq "no supplementary groups" "" "$(field Groups)"
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
  check_eq "$set: CAP_WAKE_ALARM (35) only" 0000000800000000 "$(field "$set")"
done

# --- namespaces
for ns in pid mnt ipc uts; do
  s=$(stat -L -c %i "/proc/$sp/ns/$ns")
  check "own $ns namespace: not the host's" test "$s" != "$(stat -L -c %i "/proc/self/ns/$ns")"
  check "own $ns namespace: not the agent's" test "$s" != "$(stat -L -c %i "/proc/$ap/ns/$ns")"
done
check_eq "the host's user namespace (no user namespace: docs/design.md)" \
  "$(stat -L -c %i /proc/self/ns/user)" "$(stat -L -c %i "/proc/$sp/ns/user")"

# --- read-only root
root_opts=$(awk '$5 == "/" {print $6}' "/proc/$sp/mountinfo")
check "root mounted read-only ($root_opts)" grep -qE '(^|,)ro(,|$)' <<<"$root_opts"
check_contains "a write to / fails" "Read-only file system" \
  "$(touch "/proc/$sp/root/bottle-probe" 2>&1)"

# --- cgroup: a sibling of the agent's, with the configured limits
agent_cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$ap/cgroup")
side_cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$sp/cgroup")
check_eq "agent's cgroup as configured" "/bottle-test/a-$$" "$agent_cg"
check_eq "sidecar's cgroup: a sibling of the agent's" "/bottle-test/a-$$-bottle-sidecar" "$side_cg"
# v1 controllers where the host mounts them, else the unified hierarchy
cgfile() {
  local ctl=$1 f=$2 d
  for d in "/sys/fs/cgroup/$ctl$side_cg" /sys/fs/cgroup/*"$ctl"*"$side_cg" "/sys/fs/cgroup/unified$side_cg" "/sys/fs/cgroup$side_cg"; do
    [ -e "$d/$f" ] && { cat "$d/$f"; return; }
  done
  echo "no $f"
}
if [ -e "/sys/fs/cgroup/memory$side_cg/memory.limit_in_bytes" ]; then
  check_eq "memory limit" $((100 << 20)) "$(cgfile memory memory.limit_in_bytes)"
  check_eq "cpu quota (0.5 CPU)" 50000 "$(cgfile cpu cpu.cfs_quota_us)"
  check_eq "cpu period" 100000 "$(cgfile cpu cpu.cfs_period_us)"
else
  check_eq "memory limit" $((100 << 20)) "$(cgfile "" memory.max)"
  check_eq "cpu.max (0.5 CPU)" "50000 100000" "$(cgfile "" cpu.max)"
fi
check_eq "pids limit" 64 "$(cgfile pids pids.max)"

# --- the files bottle writes into its root
yaml=$BT_ROOT/.bottle/$A/fs/merged/etc/pipelock.yaml
check_eq "pipelock.yaml: 0600, owned by the sidecar's uid and gid" "600 $SUID $SUID" \
  "$(stat -c '%a %u %g' "$yaml" 2>&1)"
check_eq "pipelock.yaml: the same file the sidecar sees" "$(stat -c %s "$yaml")" \
  "$(stat -c %s "/proc/$sp/root/etc/pipelock.yaml" 2>&1)"
check_eq "the sidecar's /etc/hosts: localhost only" "$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost')" \
  "$(cat "/proc/$sp/root/etc/hosts")"
check_eq "the sidecar's resolv.conf: network.dns" "nameserver $INTERNET_IP" \
  "$(cat "/proc/$sp/root/etc/resolv.conf")"

# --- an attacker with an agent's credentials, given the sidecar's pid
ATTACK_CAPS=chown,dac_override,fowner,fsetid,kill,setgid,setuid,setpcap,net_bind_service,net_raw,sys_chroot,mknod,audit_write,setfcap
attack() { # attack PID [UID [keep-caps]]: open PID's mem for writing and read its environ
  setpriv --bounding-set=-all,$(sed 's/[^,]*/+&/g' <<<"$ATTACK_CAPS") --inh-caps=-all \
    /usr/bin/python3 - "$@" <<'PY'
import os, sys
pid = sys.argv[1]
if len(sys.argv) > 3:  # keep every capability across the uid change (CAP_SETPCAP allows it)
    import ctypes
    PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP = 28, 1 << 2
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0):
        sys.exit("PR_SET_SECUREBITS failed")
if len(sys.argv) > 2:  # take on the target's uid and gid, as CAP_SETUID/CAP_SETGID allow
    uid = int(sys.argv[2])
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
caps = [l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1]
print("attacker uid=%d caps=%s" % (os.getuid(), caps))
for what, fn in (("mem", lambda: os.close(os.open(f"/proc/{pid}/mem", os.O_RDWR))),
                 ("environ", lambda: open(f"/proc/{pid}/environ", "rb").read())):
    try:
        fn()
        print(what, "OPENED")
    except OSError as e:
        print(what, "refused:", e.strerror)
PY
}
out=$(attack "$sp")
echo "$out"
check_contains "attacker: root with Docker's capabilities, no CAP_SYS_PTRACE" "uid=0 caps=00000000a80425fb" "$out"
check_contains "root attacker: the sidecar's memory refused" "mem refused" "$out"
check_contains "root attacker: the sidecar's environ refused" "environ refused" "$out"
out=$(attack "$sp" "$SUID")
echo "$out"
check_contains "attacker as the sidecar's uid (CAP_SETUID), its capabilities gone" "uid=$SUID caps=0000000000000000" "$out"
check_contains "attacker as the sidecar's uid: memory refused" "mem refused" "$out"
check_contains "attacker as the sidecar's uid: environ refused" "environ refused" "$out"
out=$(attack "$sp" "$SUID" keep-caps)
echo "$out"
check_contains "attacker as the sidecar's uid, keeping Docker's capabilities" "uid=$SUID caps=00000000a80425fb" "$out"
check_contains "attacker as the sidecar's uid with capabilities: memory refused" "mem refused" "$out"
check_contains "attacker as the sidecar's uid with capabilities: environ refused" "environ refused" "$out"
# What holds it off is pipelock's CAP_WAKE_ALARM, which the attacker lacks: with it, it gets in.
out=$(ATTACK_CAPS=$ATTACK_CAPS,wake_alarm attack "$sp" "$SUID" keep-caps)
check_contains "control: the same attacker holding CAP_WAKE_ALARM too opens the memory" "mem OPENED" "$out"
# the old sidecar's shape: uid 0, no capabilities, no user namespace
setpriv --bounding-set=-all --inh-caps=-all sleep 600 &
victim=$!
out=$(attack "$victim")
kill "$victim"
check_contains "control: the same attacker opens the memory of a root process without capabilities" \
  "mem OPENED" "$out"

# --- delete leaves nothing, the sidecar's cgroup included
bt delete --force "$A" || fail "delete $A"
check_eq "no sidecar cgroup left" "" \
  "$(find /sys/fs/cgroup -maxdepth 3 -path "*/bottle-test/a-$$-bottle-sidecar" 2>/dev/null)"
check_same "delete leaves nothing" "$before" "$(settle bt_snapshot "$before")"

# --- item 6, the CRI shape: the agent writes its hosts and resolv.conf, which outlive it
touch "$BT/eng"
unshare --net="$BT/eng" ip link set lo up || fail "engine netns"
printf '127.0.0.1\tlocalhost\n' >"$BT/etc-hosts"
printf 'nameserver %s\n' "$INTERNET_IP" >"$BT/resolv"
bottled_agent "$BT/cri" sh -c 'echo "203.0.113.7 example.test" >>/etc/hosts
  echo "nameserver 203.0.113.53" >/etc/resolv.conf; echo written'
bundle_edit "$BT/cri" "
c['mounts'] += [{'destination': '/etc/hosts', 'type': 'bind', 'source': '$BT/etc-hosts', 'options': ['rbind', 'rw']},
                {'destination': '/etc/resolv.conf', 'type': 'bind', 'source': '$BT/resolv', 'options': ['rbind', 'rw']}]
[n.update(path='$BT/eng') for n in c['linux']['namespaces'] if n['type'] == 'network']"
C=hard-cri-$$
bt_track "$C"
for round in 1 2; do
  bt create --bundle "$BT/cri" "$C" >/dev/null || fail "CRI shape, round $round: create"
  sp=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pid'])" \
    "$BT_ROOT/.bottle/$C/state/sidecar/bottle.json" 2>/dev/null)
  check_contains "CRI shape, round $round: engine netns" '"network":"engine netns"' \
    "$(cat "$BT_ROOT/.bottle/$C/record.json")"
  check_fails "CRI shape, round $round: the sidecar's hosts lacks the agent's line" \
    grep -q 203.0.113.7 "/proc/${sp:-0}/root/etc/hosts"
  check_eq "CRI shape, round $round: the sidecar's resolv.conf is network.dns" \
    "nameserver $INTERNET_IP" "$(cat "/proc/${sp:-0}/root/etc/resolv.conf" 2>&1)"
  bt start "$C" || fail "CRI shape, round $round: start"
  for _ in $(seq 100); do
    bt state "$C" 2>/dev/null | grep -q '"status": "stopped"' && break
    sleep 0.1
  done
  bt delete --force "$C" || fail "CRI shape, round $round: delete"
done
check_contains "the agent did write its hosts file" "203.0.113.7 example.test" "$(cat "$BT/etc-hosts")"
check_contains "the agent did write its resolv.conf" "203.0.113.53" "$(cat "$BT/resolv")"
umount "$BT/eng" 2>/dev/null

# --- sidecar.resources: a bad value is one line naming the key, and nothing is made
before=$(bt_snapshot)
bad() { # bad PYTHON WANT
  bottled_config "$BT/bad.json" "c['sidecar']['resources'] = $1"
  out=$(BT_CONFIG_FILE=$BT/bad.json bt create --bundle "$BT/a" "hard-bad-$$" 2>&1)
  check_contains "sidecar.resources = $1: refused" "$2" "$out"
  check_eq "sidecar.resources = $1: one line" 1 "$(grep -c . <<<"$out")"
}
bad '{"cpus": 0}' "sidecar.resources.cpus: must be a number from 0.01 to 1024 (CPUs, e.g. 0.5)"
bad '{"memory_bytes": "1G"}' "sidecar.resources.memory_bytes: must be a number from 33554432"
bad '{"pids": 100.5}' "sidecar.resources: memory_bytes and pids must be whole numbers"
bad '{"cpu": 1}' 'sidecar.resources: unknown key \"cpu\"; check the spelling (known keys: cpus, memory_bytes, pids)'
check_same "refused configs leave nothing" "$before" "$(bt_snapshot)"

finish

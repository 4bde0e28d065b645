#!/usr/bin/env bash
# Red team of what a pod's member, its bundle and its author can say (threats.md rows 13, 36, 37,
# 40), with bottle driven as containerd's CRI drives it. A bottled pod S runs; every attacker is
# a bundle that claims to be S's member (io.kubernetes.cri annotations) or a bottled container
# of its own, and each must be refused in one line before anything is made, or contained:
#  - network: S's sidecar netns named as /proc/<sidecar>/ns/net, through a symlink in the
#    member's own rootfs, as /proc/self/../<pid>, as bottle's own bind mount of it, and the
#    runtime's own netns (/proc/thread-self), or none (hostNetwork, hostPID): refused, as a
#    member and as a bottle of its own;
#  - pid, ipc, uts and mount namespaces of the sidecar, or the runtime's own, by the same
#    spellings: refused; a symlink swapped between the pod's ipc namespace and the sidecar's
#    while members are made never puts one in the sidecar's (what is joined is what was
#    judged); the sidecar's user and cgroup namespaces are the host's, which the member has
#    anyway;
#  - a member with a user namespace of its own is root there but not over the pod's netns;
#    one asking CAP_NET_ADMIN and CAP_NET_RAW runs without them, CAP_SYS_ADMIN is refused;
#    one whose cgroupsPath is the sidecar's cgroup (or inside it) is refused, the sidecar's pids
#    limit unchanged (it would have set the proxy's limits);
#  - linux.sysctl: a sysctl that is not the container's own namespaces' (the init writes it as
#    host root, so kernel.core_pattern would run a host program outside the bottle) is refused,
#    the host's value unchanged; an ipc sysctl without an ipc namespace of its own too; a
#    member's net.* that would loosen the netns its running agent shares (IPv6 back on,
#    forwarding, route_localnet) is refused and the agent's netns keeps its values; net.* of
#    no consequence and an ipc limit in its own ipc namespace still pass;
#  - hooks: a member's prestart and createRuntime hooks run as runc runs them, as root in the
#    runtime's netns (they are the engine's: whoever writes them is trusted like the engine);
#    createContainer runs in the pod's netns; a hook that adds a route to the pod's netns
#    leaves a member that the start gate refuses;
#  - bottle policy: refused to a non-root caller and for an id that leaves the state root; no
#    mount in the agent from the state root is writable.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup tpods
# the user-namespace member's mapped root must read its rootfs
chmod 755 "$BT"

printk=/proc/sys/kernel/printk_ratelimit_burst
printk_before=$(cat "$printk")
pods_cleanup() {
  # a runtime that lets a bundle write the host's sysctls changed this one: put it back
  [ "$(cat "$printk")" = "$printk_before" ] || echo "$printk_before" >"$printk"
  bottled_cleanup
}
trap pods_cleanup EXIT

S=tpod-s-$$
bt_track "$S"
before=$(bt_snapshot)
bottled_agent "$BT/sandbox" sleep 600
bundle_edit "$BT/sandbox" "c['annotations'] = {'io.kubernetes.cri.container-type': 'sandbox'}"
bt create --bundle "$BT/sandbox" "$S" >/dev/null || fail "sandbox: create"
bt start "$S" || fail "sandbox: start"
ap=$(bt_init_pid "$S") sp=$(bt_sidecar_pid "$S")
check "the pod's agent runs" kill -0 "$ap"
check "the pod's sidecar runs" kill -0 "$sp"
NET=/proc/$ap/ns/net
SIDECAR_NETNS=/run/bottle/netns/$(bt_netns_name "$S")-s
check "bottle's own mount of the sidecar netns is there" test -e "$SIDECAR_NETNS"
agent_sysctl() { nsenter --net="$NET" cat "/proc/sys/net/$1"; }
ipv6_before=$(agent_sysctl ipv6/conf/all/disable_ipv6)
localnet_before=$(agent_sysctl ipv4/conf/all/route_localnet)
check_eq "the pod's netns has IPv6 off" 1 "$ipv6_before"

n=0
# attacker KIND CMD [EDIT]: a new bundle $BT/<id> running CMD, KIND member (S's annotations,
# S's netns) or own (a bottled container of its own); EDIT is Python over its config `c`.
# Runs it with `bottle run`; sets id, rc and out.
attacker() {
  local kind=$1 cmd=$2 edit=${3:-}
  n=$((n + 1))
  id=tpod-$n-$$
  bt_track "$id"
  bottled_agent "$BT/$id" sh -c "$cmd"
  chmod -R a+rX "$BT/$id"
  if [ "$kind" = member ]; then
    bundle_edit "$BT/$id" "
c['annotations'] = {'io.kubernetes.cri.container-type': 'container',
                    'io.kubernetes.cri.sandbox-id': '$S'}
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network': ns['path'] = '$NET'"
  fi
  [ -z "$edit" ] || bundle_edit "$BT/$id" "$edit"
  out=$(bt run --bundle "$BT/$id" "$id" </dev/null 2>&1)
  rc=$?
}
# ns_path TYPE PATH: the EDIT that makes namespace TYPE a join of PATH
ns_path() {
  echo "
ns = [n for n in c['linux']['namespaces'] if n['type'] != '$1']
ns.append({'type': '$1', 'path': '$2'})
c['linux']['namespaces'] = ns"
}
# refused WHAT WANT: the last attacker's create failed with one line holding WANT, left no state
refused() {
  echo "$1: $out"
  check_fails "$1: refused" test "$rc" -eq 0
  check_contains "$1: says why" "$2" "$out"
  check_eq "$1: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$1: no state" test -e "$BT_ROOT/$id"
}

# --- network: the sidecar's netns, the runtime's own
for kind in member own; do
  [ "$kind" = member ] && want="not the agent netns of bottled pod $S" || want="linux.namespaces: network"
  attacker "$kind" true "$(ns_path network "/proc/$sp/ns/net")"
  refused "$kind, network of the sidecar (/proc/<pid>/ns/net)" "$want"
  attacker "$kind" true "$(ns_path network "$BT/tpod-$((n + 1))-$$/rootfs/sidecar-net")
import os
os.symlink('/proc/$sp/ns/net', '$BT/tpod-$((n + 1))-$$/rootfs/sidecar-net')"
  refused "$kind, network of the sidecar through a symlink in its rootfs" "$want"
  attacker "$kind" true "$(ns_path network "/proc/self/../$sp/ns/net")"
  refused "$kind, network of the sidecar as /proc/self/../<pid>" "$want"
  attacker "$kind" true "$(ns_path network "$SIDECAR_NETNS")"
  refused "$kind, network of the sidecar as bottle's own mount of it" "$want"
  attacker "$kind" true "$(ns_path network /proc/thread-self/ns/net)"
  refused "$kind, the runtime's own network (the engine's side)" "$want"
done

# hostNetwork, hostPID: no namespace of its own, the host's
no_ns() { echo "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != '$1']"; }
attacker member true "$(no_ns network)"
refused "member with the host's network (hostNetwork)" "network (none: the host's) is not the agent netns of bottled pod $S"
attacker own true "$(no_ns network)"
refused "own, the host's network" "needs its own network namespace"
attacker member true "$(no_ns pid)"
refused "member with the host's pid namespace (hostPID)" "needs its own pid namespace"

# --- a member in the sidecar's (or the runtime's) other namespaces
for type in pid ipc uts mount; do
  proc=${type/mount/mnt}
  [ "$type" = pid ] && want="linux.namespaces: pid path" || want="not one of the namespaces of its own bottle"
  attacker member true "$(ns_path "$type" "/proc/$sp/ns/$proc")"
  refused "member, $type of the sidecar" "$want"
  attacker member true "$(ns_path "$type" "$BT/tpod-$((n + 1))-$$/rootfs/ns-link")
import os
os.symlink('/proc/$sp/ns/$proc', '$BT/tpod-$((n + 1))-$$/rootfs/ns-link')"
  refused "member, $type of the sidecar through a symlink in its rootfs" "$want"
  attacker member true "$(ns_path "$type" "/proc/self/../$sp/ns/$proc")"
  refused "member, $type of the sidecar as /proc/self/../<pid>" "$want"
  attacker member true "$(ns_path "$type" "/proc/thread-self/ns/$proc")"
  refused "member, the runtime's own $type namespace" "$want"
done
# A path that passes the check may be swapped before the join (a symlink in a directory the
# bundle's author or the agent writes): a flipper swaps one between the pod's ipc namespace and
# the sidecar's while members are made. Each member must end refused or in the pod's.
bt_flip_link "$BT/ipc-link" "/proc/$ap/ns/ipc" "/proc/$sp/ns/ipc"
flipper=$BT_FLIPPER
joined=
for _ in $(seq 8); do
  attacker member 'readlink /proc/self/ns/ipc' "$(ns_path ipc "$BT/ipc-link")"
  [ "$rc" -eq 0 ] && joined+="$out "
done
kill "$flipper"
wait "$flipper" 2>/dev/null
echo "members through the swapped link: $joined"
check_fails "a link swapped after the check: no member in the sidecar's ipc namespace" \
  grep -qF "$(readlink "/proc/$sp/ns/ipc")" <<<"$joined"
check_contains "a link swapped after the check: members that passed are in the pod's" \
  "$(readlink "/proc/$ap/ns/ipc")" "$joined"
for type in user cgroup; do
  check_eq "the sidecar's $type namespace is the host's (a member naming it gains nothing)" \
    "$(readlink /proc/$$/ns/$type)" "$(readlink "/proc/$sp/ns/$type")"
done

# --- a member's own user namespace and capabilities
attacker member 'id -u; ip link add tpod0 type dummy 2>&1; echo "link=$?"
echo 0 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo "sysctl=$?"; readlink /proc/self/ns/net' "
c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"
echo "member with its own user namespace: $out"
check_eq "own user namespace: runs" 0 "$rc"
check_contains "own user namespace: in the pod's netns" "$(readlink "$NET")" "$out"
check_eq "own user namespace: root in it" 0 "$(head -1 <<<"$out")"
check_fails "own user namespace: no link of its own in the pod's netns" grep -q "link=0" <<<"$out"
check_fails "own user namespace: no sysctl write" grep -q "sysctl=0" <<<"$out"
check_eq "own user namespace: the pod's netns keeps IPv6 off" 1 "$(agent_sysctl ipv6/conf/all/disable_ipv6)"
check_eq "own user namespace: the pod's netns holds lo and eth0 only" "eth0 lo" \
  "$(nsenter --net="$NET" ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort | tr '\n' ' ' | sed 's/ $//')"
caps='["CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_KILL"]'
attacker member 'grep CapEff /proc/self/status' "
c['process']['capabilities'] = {k: $caps for k in ('bounding', 'effective', 'permitted')}"
eff=$((16#$(awk '/CapEff/ {print $2}' <<<"$out")))
check_eq "CAP_NET_ADMIN and CAP_NET_RAW asked: runs" 0 "$rc"
check_eq "CAP_NET_ADMIN and CAP_NET_RAW asked: neither held" "admin=0 raw=0" \
  "admin=$(((eff >> 12) & 1)) raw=$(((eff >> 13) & 1))"
caps='["CAP_SYS_ADMIN", "CAP_KILL"]'
attacker member true "
c['process']['capabilities'] = {k: $caps for k in ('bounding', 'effective', 'permitted')}"
refused "member asking CAP_SYS_ADMIN" "CAP_SYS_ADMIN"

# --- the sidecar's cgroup: its limits are the proxy's
scg=$(bundle_cgroup "$BT/sandbox")-bottle-sidecar
pids_max=$(ls -d "/sys/fs/cgroup/pids$scg/pids.max" "/sys/fs/cgroup$scg/pids.max" 2>/dev/null | head -1)
limit_before=$(cat "$pids_max")
check_contains "the sidecar's cgroup holds the sidecar" "$scg" "$(cat "/proc/$sp/cgroup")"
for where in "$scg" "$scg/inner"; do
  attacker member true "c['linux']['cgroupsPath'] = '$where'
c['linux']['resources'] = {'pids': {'limit': 100000}}"
  refused "member in the sidecar's cgroup ($where)" "linux.cgroupsPath: $where is a bottle's sidecar cgroup"
done
check_eq "the sidecar's pids limit is unchanged" "$limit_before" "$(cat "$pids_max")"

# --- sysctls
attacker own true "c['linux']['sysctl'] = {'kernel.printk_ratelimit_burst': '$((printk_before + 1))'}"
refused "own, a host sysctl (kernel.printk_ratelimit_burst)" "linux.sysctl: kernel.printk_ratelimit_burst"
check_eq "own, a host sysctl: the host's value is unchanged" "$printk_before" "$(cat "$printk")"
# the value it holds: nothing changes even where the write is let through
attacker member true "c['linux']['sysctl'] = {'kernel/core_pattern': open('/proc/sys/kernel/core_pattern').read().strip()}"
refused "member, kernel/core_pattern (a program run as host root)" "linux.sysctl: kernel/core_pattern"
attacker own true "
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'ipc']
c['linux']['sysctl'] = {'kernel.shmmni': open('/proc/sys/kernel/shmmni').read().strip()}"
refused "own, an ipc sysctl in the host's ipc namespace" "ipc namespace"
attacker member true "c['linux']['sysctl'] = {'net.ipv6.conf.all.disable_ipv6': '0'}"
refused "member, IPv6 back on in the pod's netns" "linux.sysctl: net.ipv6.conf.all.disable_ipv6"
attacker member true "c['linux']['sysctl'] = {'net.ipv4.ip_forward': '1'}"
refused "member, forwarding in the pod's netns" "linux.sysctl: net.ipv4.ip_forward"
attacker member true "c['linux']['sysctl'] = {'net.ipv4.conf.all.route_localnet': '1'}"
refused "member, route_localnet in the pod's netns" "linux.sysctl: net.ipv4.conf.all.route_localnet"
check_eq "the pod's netns keeps IPv6 off" "$ipv6_before" "$(agent_sysctl ipv6/conf/all/disable_ipv6)"
check_eq "the pod's netns keeps route_localnet" "$localnet_before" "$(agent_sysctl ipv4/conf/all/route_localnet)"
attacker member 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start' \
  "c['linux']['sysctl'] = {'net.ipv4.ip_unprivileged_port_start': '80'}"
check_eq "control: a member's harmless net sysctl is written" "0 80" "$rc $out"
attacker own 'cat /proc/sys/kernel/shmmni' "c['linux']['sysctl'] = {'kernel.shmmni': '1000'}"
check_eq "control: an ipc limit in its own ipc namespace is written" "0 1000" "$rc $out"

# --- hooks
hook() { echo "{'path': '/bin/sh', 'args': ['sh', '-c', 'echo \$(id -u) \$(readlink /proc/self/ns/net) >$BT/hook-$1']}"; }
attacker member true "c['hooks'] = {'prestart': [$(hook prestart)], 'createRuntime': [$(hook createRuntime)],
                     'createContainer': [$(hook createContainer)]}"
check_eq "member with hooks: runs" 0 "$rc"
runtime_net=$(bt_host readlink /proc/self/ns/net)
check_eq "prestart hook: root, in the runtime's netns (as runc)" "0 $runtime_net" "$(cat "$BT/hook-prestart")"
check_eq "createRuntime hook: root, in the runtime's netns (as runc)" "0 $runtime_net" "$(cat "$BT/hook-createRuntime")"
check_eq "createContainer hook: in the pod's netns" "0 $(readlink "$NET")" "$(cat "$BT/hook-createContainer")"
attacker member true "c['hooks'] = {'createRuntime': [{'path': '$(command -v nsenter)', 'args': ['nsenter',
  '--net=$NET', 'ip', 'route', 'add', 'default', 'dev', 'eth0']}]}"
# the hook is root on the host and does what it likes; the member does not start on it
refused "member whose hook gives the pod's netns a default route" "start gate: agent routes"
nsenter --net="$NET" ip route del default dev eth0 2>/dev/null

# --- bottle policy
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BOTTLE" --root "$BT_ROOT" policy "$S" --allow tpod-evil.test 2>&1)
rc=$?
echo "policy as nobody: $out"
check_fails "bottle policy as a non-root user: refused" test "$rc" -eq 0
check_fails "bottle policy as a non-root user: the allowlist is unchanged" grep -q tpod-evil.test <<<"$(bt policy "$S")"
for bad in "../root/$S" "$S/../$S" "/$S"; do
  out=$(bt policy "$bad" --allow tpod-evil.test 2>&1)
  rc=$?
  echo "policy $bad: $out"
  check_fails "bottle policy $bad: refused" test "$rc" -eq 0
done
check_fails "bottle policy with ids out of the root: the allowlist is unchanged" grep -q tpod-evil.test <<<"$(bt policy "$S")"
writable=$(awk -v root="$BT_ROOT" 'index($4, root) == 1 || index($4, "/.bottle/") {
  if ($6 !~ /(^|,)ro(,|$)/) print $4 " " $5}' "/proc/$ap/mountinfo")
check_eq "no writable mount of the state root in the agent" "" "$writable"

check "sandbox: delete" bt delete --force "$S"
check_same "the attacks leave nothing behind" "$before" "$(settle bt_snapshot "$before")"
finish

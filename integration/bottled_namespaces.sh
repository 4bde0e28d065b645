#!/usr/bin/env bash
# A bottled agent joins other namespaces by path only within its own bottle. Without that rule
# a bundle (a hostile one, or an image's author through bottle-run) could name the namespaces
# of its own sidecar: in the sidecar's mount namespace the agent sees, and as root may rewrite,
# the pipelock config that pipelock reloads on change (the allowlist); in its ipc or user
# namespace it shares what the proxy shares. So a namespace path of type ipc, uts, mount, user,
# cgroup or time is accepted only when it is the namespace of the bottle's own agent (a pod's
# member joining its sandbox's ipc and uts, as a kubelet asks), and refused in one line naming
# linux.namespaces, before anything is made. The pid namespace has its own rule
# (bottled_pidns.sh), the network namespace too (threats_config.sh, bottled_pod.sh).
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup nsjoin

A=nsj-a-$$
bt_track "$A"
bottled_agent "$BT/a" sleep 600
bt create --bundle "$BT/a" "$A" >/dev/null || fail "create $A"
bt start "$A" || fail "start $A"
sp=$(bt_sidecar_pid "$A") ap=$(bt_init_pid "$A")
check "the sidecar runs" kill -0 "$sp"
check "the agent runs" kill -0 "$ap"
before=$(bt_snapshot)

# joins ID TYPE PATH: a bundle of its own (own netns and pid ns) that also joins namespace TYPE
# at PATH; ok or not ok, and its output in $out.
bottled_agent "$BT/b" cat /etc/pipelock.yaml
joins() {
  local id=$1 type=$2 path=$3
  bundle_edit "$BT/b" "
ns = [{'type': n['type']} for n in c['linux']['namespaces'] if n['type'] != '$type']
ns.append({'type': '$type', 'path': '$path'})
c['linux']['namespaces'] = ns
c.pop('hostname', None)
if '$type' == 'mount':
    c['root'] = {'path': '/', 'readonly': False}"
  bt_track "$id"
  out=$(bt run --bundle "$BT/b" "$id" </dev/null 2>&1)
}
for type in mount ipc uts; do
  id=nsj-$type-$$
  joins "$id" "$type" "/proc/$sp/ns/${type/mount/mnt}"
  echo "$type of the sidecar: $out"
  check_contains "$type of the sidecar: refused, naming the field" "linux.namespaces: " "$out"
  check_contains "$type of the sidecar: names the path" "$type path /proc/$sp/ns/" "$out"
  check_contains "$type of the sidecar: says why" "namespaces of its own bottle" "$out"
  check_fails "$type of the sidecar: the agent never ran (no pipelock config read)" \
    grep -q 'fetch_proxy\|forward_proxy' <<<"$out"
  check_eq "$type of the sidecar: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$type of the sidecar: no state" bt state "$id"
  check_same "$type of the sidecar: nothing left" "$before" "$(settle bt_snapshot "$before")"
done

# Another process's (a plain one of this test) mount namespace: the same refusal.
unshare --mount --fork sleep 600 >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
  other=$(pgrep -P "$holder" sleep) && break
  sleep 0.1
done
joins nsj-other-$$ mount "/proc/${other:-0}/ns/mnt"
check_contains "another mount namespace: refused" "namespaces of its own bottle" "$out"
kill -KILL "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# A namespace path the bundle names may be anything, a FIFO too: create refuses it at once
# rather than waiting in open() for a writer that never comes.
mkfifo "$BT/fifo"
for type in ipc network; do
  joins "nsj-fifo-$type-$$" "$type" "$BT/fifo" &
  waiter=$!
  for _ in $(seq 100); do kill -0 "$waiter" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$waiter" 2>/dev/null; then
    fail "$type path of a FIFO: create returns"
    pkill -KILL -f "nsj-fifo-$type-$$"
  else
    ok "$type path of a FIFO: create returns"
  fi
  wait "$waiter" 2>/dev/null
  check_fails "$type path of a FIFO: no state" bt state "nsj-fifo-$type-$$"
done

# Control: the agent's own namespaces are the ones a member of its bottle may join (a pod's
# member joins its sandbox's ipc and uts namespaces, and the network namespace makes it one).
bottled_agent "$BT/m" sh -c 'echo member-ran; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts'
bundle_edit "$BT/m" "
ns = [n for n in c['linux']['namespaces'] if n['type'] not in ('ipc', 'uts', 'network')]
ns += [{'type': t, 'path': '/proc/$ap/ns/' + t} for t in ('ipc', 'uts')]
ns.append({'type': 'network', 'path': '/proc/$ap/ns/net'})
c['linux']['namespaces'] = ns
c.pop('hostname', None)
c['annotations'] = {'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': '$A'}"
M=nsj-member-$$
bt_track "$M"
out=$(bt run --bundle "$BT/m" "$M" </dev/null 2>&1)
check_contains "a member joins its bottle's ipc and uts ($out)" "member-ran" "$out"
check_contains "the member shares the agent's ipc namespace" "$(readlink "/proc/$ap/ns/ipc")" "$out"
check_contains "the member shares the agent's uts namespace" "$(readlink "/proc/$ap/ns/uts")" "$out"
bt delete --force "$M" >/dev/null 2>&1
bt delete --force "$A" >/dev/null 2>&1
finish

#!/usr/bin/env bash
# Issue 11: a bottled pod is one bottle, with bottle driven directly as containerd's CRI drives it.
# A sandbox (io.kubernetes.cri.container-type=sandbox) makes the pod's bottle; two app containers
# (container-type=container, sandbox-id=the sandbox) whose network path is
# /proc/<sandbox init>/ns/net join it: both run, reach each other on localhost, hold the proxy env
# and the agent's hardening (no CAP_NET_RAW, the seccomp layer), reach an allowed host through the
# pod's one proxy and get 403 for another, and a direct connection fails at once. A container
# without the annotations that joins the sandbox's netns (docker --network container:X) joins the
# bottle too. The start gate runs for members. Deleting a member leaves the bottle running, and gc
# leaves a bottle while a member runs; deleting the sandbox leaves nothing.
# Lying annotations (a sandbox-id naming the pod with another netns, another bottle's netns with
# this sandbox-id, a "sandbox" in a bottle's netns) and a member asking another mode or profile are
# refused with one line naming the pod. The sidecar's cgroup is inside the pod's cgroup. A plain
# pod's containers are plain.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup pod
IP=$INTERNET_IP
S=pod-sb-$$ M1=pod-m1-$$ M2=pod-m2-$$ D=pod-docker-$$ B=pod-other-$$
L=pod-liar-$$ PS=pod-plain-sb-$$ PM=pod-plain-m-$$ M3=pod-m3-$$
bt_track "$S" "$M1" "$M2" "$D" "$B" "$L" "$PS" "$PM" "$M3"
# The pod's cgroup, as the kubelet makes it before the sandbox and removes it after the pod.
POD_CG=bottle-test/kubepod-$$
pod_cgroups() { ls -d /sys/fs/cgroup/*/$POD_CG /sys/fs/cgroup/$POD_CG 2>/dev/null; }
before=$(bt_snapshot)

state_field() { bt state "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2', '(absent)'))"; }
capeff_net() { local v=$((16#$1)); echo "raw=$(((v >> 13) & 1)) admin=$(((v >> 12) & 1))"; }
caps='["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]'
# cri DIR TYPE [SANDBOX-ID [NETNS [PIDNS]]]: containerd's CRI annotations and namespaces
cri() {
  bundle_edit "$1" "
c['annotations'] = {'io.kubernetes.cri.container-type': '$2'}
if '${3:-}': c['annotations']['io.kubernetes.cri.sandbox-id'] = '${3:-}'
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network' and '${4:-}': ns['path'] = '${4:-}'
    if ns['type'] == 'pid' and '${5:-}': ns['path'] = '${5:-}'
c['process']['capabilities'] = {'bounding': $caps, 'effective': $caps, 'permitted': $caps}"
}
# refused WHAT ID BUNDLE WANT [CONFIG]: create fails with one line holding WANT, leaves no state
refused() {
  local out rc
  BT_CONFIG_FILE=${5:-$BT_CONF} bt create --bundle "$3" "$2" >"$BT/create.out" 2>&1 </dev/null
  rc=$?
  out=$(cat "$BT/create.out")
  echo "$1: $out"
  check_fails "$1: create fails" test "$rc" -eq 0
  check_contains "$1: says why, naming the pod" "$4" "$out"
  check_eq "$1: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$1: no state left" test -e "$BT_ROOT/$2"
}

bottled_agent "$BT/sandbox" sleep 600
cri "$BT/sandbox" sandbox
bundle_edit "$BT/sandbox" "c['linux']['cgroupsPath'] = '/$POD_CG/$S'"
check "sandbox: create" bt create --bundle "$BT/sandbox" "$S"
check "sandbox: start" bt start "$S"
spid=$(state_field "$S" pid)
NET=/proc/$spid/ns/net
check_contains "sandbox: its sidecar's cgroup is inside the pod's" "/$POD_CG/$S-bottle-sidecar" \
  "$(cat "/proc/$(python3 -c "import json; print(json.load(open('$BT_ROOT/.bottle/$S/state/sidecar/bottle.json'))['pid'])")/cgroup")"

bottled_agent "$BT/m1" httpd -f -p 8080 -h /www
ln -sf busybox "$BT/m1/rootfs/bin/httpd"
mkdir -p "$BT/m1/rootfs/www" && echo "hello from m1" >"$BT/m1/rootfs/www/index.html"
cri "$BT/m1" container "$S" "$NET"
bottled_agent "$BT/m2" sleep 600
cri "$BT/m2" container "$S" "$NET" "/proc/$spid/ns/pid"
check "member 1: create" bt create --bundle "$BT/m1" "$M1"
check "member 1: start (the start gate passes)" bt start "$M1"
check "member 2 (sharing the sandbox's pid namespace): create" bt create --bundle "$BT/m2" "$M2"
check "member 2: start" bt start "$M2"
check_eq "member 1 running" running "$(state_field "$M1" status)"
check_eq "member 2 running" running "$(state_field "$M2" status)"
check_eq "one bottle: one sidecar" "$S" "$(ls "$BT_ROOT/.bottle")"
check_eq "members in the sandbox's netns" "$(stat -L -c %i "$NET") $(stat -L -c %i "$NET")" \
  "$(stat -L -c %i "/proc/$(state_field "$M1" pid)/ns/net") $(stat -L -c %i "/proc/$(state_field "$M2" pid)/ns/net")"
check_contains "member 2 reaches member 1 on localhost" "hello from m1" \
  "$(bt exec "$M2" wget -Y off -q -O- http://127.0.0.1:8080/ 2>&1)"
check_contains "member 2 sees the sandbox's processes (shared pid namespace)" "sleep 600" \
  "$(bt exec "$M2" ps 2>&1 | grep -v "^ *1 ")"
proxy=$(tr '\0' '\n' <"/proc/$spid/environ" | grep '^HTTP_PROXY=')
check_contains "sandbox: proxy env" "HTTP_PROXY=http://" "$proxy"
filters=$(awk '/^Seccomp_filters/ {print $2}' "/proc/$spid/status")
check "sandbox: the bottle's seccomp layer" test "${filters:-0}" -ge 1
for m in "$M1" "$M2"; do
  mpid=$(state_field "$m" pid)
  check_eq "$m: its process holds the pod's proxy env" "$proxy" \
    "$(tr '\0' '\n' <"/proc/$mpid/environ" | grep '^HTTP_PROXY=')"
  check_eq "$m: no CAP_NET_RAW/CAP_NET_ADMIN" "raw=0 admin=0" \
    "$(capeff_net "$(awk '/CapEff/ {print $2}' "/proc/$mpid/status")")"
  check_eq "$m: the bottle's seccomp layer, as the sandbox's" "$filters" "$(awk '/^Seccomp_filters/ {print $2}' "/proc/$mpid/status")"
  check_contains "$m: /proc/sys read-only" "Read-only" \
    "$(bt exec "$m" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' 2>&1)"
  check_contains "$m: exec holds the proxy env" "$proxy" "$(bt exec "$m" env 2>&1)"
  check_contains "$m: allowed host through the proxy" "hello from the test internet" \
    "$(bt exec "$m" wget -q -O- http://example.test/ 2>&1)"
  check_contains "$m: other host 403" "403" "$(bt exec "$m" wget -q -O- "http://blocked-$m.test/" 2>&1)"
  check_contains "$m: direct connection fails at once" "Network is unreachable" \
    "$(bt exec "$m" nc -w 2 "$IP" 80 </dev/null 2>&1)"
  check_eq "$m: state names the pod's sidecar" running "$(state_field "$m" sidecar)"
done
check_contains "the pod's sidecar log has member 1's blocked request" "blocked-$M1.test" \
  "$(bt logs "$S")"
check_contains "the pod's sidecar log has member 2's blocked request" "blocked-$M2.test" \
  "$(bt logs "$S")"

# docker run --network container:SANDBOX: no annotations, the sandbox's netns
bottled_agent "$BT/docker" sleep 600
bundle_edit "$BT/docker" "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network': ns['path'] = '$NET'"
check "no annotations, the sandbox's netns (--network container:X): create" bt create --bundle "$BT/docker" "$D"
check "no annotations: start" bt start "$D"
check_eq "no annotations: joined, the pod's proxy env" "$proxy" \
  "$(tr '\0' '\n' <"/proc/$(state_field "$D" pid)/environ" | grep '^HTTP_PROXY=')"
check_contains "no annotations: reaches member 1 on localhost" "hello from m1" \
  "$(bt exec "$D" wget -Y off -q -O- http://127.0.0.1:8080/ 2>&1)"
check_eq "no annotations: still one sidecar" "$S" "$(ls "$BT_ROOT/.bottle")"
check "no annotations: delete" bt delete --force "$D"

# Lies. Another bottle B, and a netns of nobody's.
bottled_agent "$BT/other" sleep 600
check "another bottle: create" bt create --bundle "$BT/other" "$B"
check "another bottle: start" bt start "$B"
OTHER=/proc/$(state_field "$B" pid)/ns/net
bottled_agent "$BT/liar" sleep 600
cri "$BT/liar" container "$S" "$OTHER"
refused "sandbox-id of this pod, another bottle's netns" "$L" "$BT/liar" "not of pod $S"
cri "$BT/liar" container "$B" "$NET"
refused "sandbox-id of another bottle, this pod's netns" "$L" "$BT/liar" "not of pod $B"
bt_host ip netns add "pod-nobody-$$"
cri "$BT/liar" container "$S" "/run/netns/pod-nobody-$$"
refused "sandbox-id of this pod, a netns of nobody's" "$L" "$BT/liar" "not the agent netns of bottled pod $S"
bt_host ip netns del "pod-nobody-$$"
cri "$BT/liar" sandbox "" "$NET"
refused "a sandbox in a bottle's netns" "$L" "$BT/liar" "bottled container $S"
SIDECAR_PID=$(python3 -c "import json; print(json.load(open('$BT_ROOT/.bottle/$S/state/sidecar/bottle.json'))['pid'])")
cri "$BT/liar" container "$S" "$NET" "/proc/$SIDECAR_PID/ns/pid"
refused "a member in the sidecar's pid namespace" "$L" "$BT/liar" "another pid namespace"
cri "$BT/liar" container "$S" "$NET"
bottled_config "$BT/trusting.json" 'c["trust"] = {"annotations": {"plain": True, "profiles": ["extra"]}}'
bundle_edit "$BT/liar" 'c["annotations"]["bottle.mode"] = "plain"'
refused "a member asking for plain" "$L" "$BT/liar" "pod $S" "$BT/trusting.json"
bundle_edit "$BT/liar" 'c["annotations"]["bottle.mode"] = "bottled"; c["annotations"]["bottle.profile"] = "extra"'
refused "a member asking for another profile" "$L" "$BT/liar" "pod $S" "$BT/trusting.json"
bundle_edit "$BT/liar" 'c["annotations"] = {k: v for k, v in c["annotations"].items() if not k.startswith("bottle.")}; c["annotations"]["bottle.network.inbound"] = "none"'
refused "a member asking for no inbound in a pod with it" "$L" "$BT/liar" "pod $S"
check "another bottle: delete" bt delete --force "$B"
check_eq "refusals made no sidecar" "$S" "$(ls "$BT_ROOT/.bottle")"

# Members go first, as the kubelet removes them; the bottle stays for the rest of the pod.
check "member 2: kill" bt kill "$M2" KILL
for _ in $(seq 100); do [ "$(state_field "$M2" status)" = stopped ] && break; sleep 0.05; done
check "member 2: delete" bt delete "$M2"
check_fails "member 2: state gone" bt state "$M2"
check_eq "after member 2's delete: sandbox running" running "$(state_field "$S" status)"
check_eq "after member 2's delete: sidecar running" running "$(state_field "$S" sidecar)"
check_contains "after member 2's delete: member 1 still reaches the allowed host" \
  "hello from the test internet" "$(bt exec "$M1" wget -q -O- http://example.test/ 2>&1)"
# The start gate runs for a member too: with the pod's proxy dead, a member does not start.
bottled_agent "$BT/m3" sleep 600
cri "$BT/m3" container "$S" "$NET"
check "member 3: create" bt create --bundle "$BT/m3" "$M3"
kill -9 "$SIDECAR_PID"
sidecar_gone() { [ "$(state_field "$S" sidecar)" = stopped ] && echo yes; }
check_eq "the pod's sidecar is dead" yes "$(settle sidecar_gone yes)"
out=$(bt start "$M3" 2>&1)
rc=$?
echo "member 3 start: $out"
check_fails "member 3: start refused with the pod's proxy dead" test "$rc" -eq 0
check_contains "member 3: the start gate says why" "start gate" "$out"
check "member 3: delete --force" bt delete --force "$M3"
# A stopped sandbox whose member still runs: its network is the member's, gc leaves it.
check "sandbox: kill" bt kill "$S" KILL
for _ in $(seq 100); do [ "$(state_field "$S" status)" = stopped ] && break; sleep 0.05; done
check_eq "member 1 outlives its sandbox's process" running "$(state_field "$M1" status)"
check_fails "gc --stopped leaves a bottle with a running member" grep -q "removed $S" <<<"$(bt gc --stopped 2>&1)"
check "gc --stopped: the bottle is still there" test -d "$BT_ROOT/.bottle/$S"
check "member 1: delete --force" bt delete --force "$M1"
check_contains "gc --stopped then removes the pod's bottle" "removed $S" "$(bt gc --stopped 2>&1)"
check_fails "gc --stopped removed the sandbox's state" bt state "$S"
for d in $(pod_cgroups); do rmdir "$d"; done
check_same "the pod leaves nothing behind" "$before" "$(settle bt_snapshot "$before")"

# A plain pod: its containers are plain, exactly like runc.
bottled_config "$BT/plain.json" 'c["mode"] = "plain"'
bottled_agent "$BT/psb" sleep 600
cri "$BT/psb" sandbox
check "plain pod: sandbox" env BT_CONFIG_FILE="$BT/plain.json" bash -c \
  "nsenter --net=/run/netns/$BT_HOST $BOTTLE --root $BT_ROOT --config $BT/plain.json run -d --bundle $BT/psb $PS </dev/null"
ppid_=$(state_field "$PS" pid)
bottled_agent "$BT/pm" sleep 600
cri "$BT/pm" container "$PS" "/proc/$ppid_/ns/net"
check "plain pod: member" bt create --bundle "$BT/pm" "$PM"
check "plain pod: member starts" bt start "$PM"
pm_status=$(cat "/proc/$(state_field "$PM" pid)/status")
check_eq "plain pod: member keeps CAP_NET_RAW" "raw=1 admin=0" "$(capeff_net "$(awk '/CapEff/ {print $2}' <<<"$pm_status")")"
check_eq "plain pod: member has no seccomp layer" 0 "$(awk '/^Seccomp_filters/ {print $2}' <<<"$pm_status")"
check_fails "plain pod: member has no proxy env" grep -q HTTP_PROXY <<<"$(bt exec "$PM" env)"
check "plain pod: delete member" bt delete --force "$PM"
check "plain pod: delete sandbox" bt delete --force "$PS"
check_same "the plain pod leaves nothing behind" "$before" "$(settle bt_snapshot "$before")"
finish

#!/usr/bin/env bash
# Issue 11, Done when 1-3 for Kubernetes pods: containerd 1.6's CRI with a CNI bridge, driven as
# a kubelet drives it (RunPodSandbox, CreateContainer, StartContainer, ExecSync, StopContainer,
# RemoveContainer, StopPodSandbox, RemovePodSandbox) through tests/helpers/cri-client, with the
# runtime handlers "runc" and "bottle" configured as docs/engines.md tells an operator
# (integration/cri.lib.sh).
#
#   (a) a plain pod under runc and the same pod under bottle with the pod annotation
#       bottle.mode=plain (trusted in bottle.json): server and client containers, localhost
#       between them, the node reaching the server at the pod IP, ExecSync; the same probe
#       output in both; nothing left behind
#   (b) a hostNetwork pod under bottle: refused with a line that says why; nothing left
#   (c) a bottled pod (default mode) with a server and a client container: both run in the pod's
#       one bottle (one sidecar, ExecSync in the agent netns, the proxy env and the agent
#       hardening in both), localhost between them, an allowed host through the proxy, a
#       blocked one 403 (in `bottle logs`), a direct connection unreachable, the node reaching
#       the server at the pod IP, the sidecar in the pod's cgroup, a container asking for another
#       mode than its pod's refused; removing the app containers leaves the bottle serving;
#       removing the pod leaves nothing; a sandbox killed with SIGKILL leaves nothing after
#       RemovePodSandbox, or after `bottle gc --stopped` when the engine did not get to delete it
#
# The test runs in a private netns that plays the node (it re-executes itself there):
# containerd, the CNI bridge, the pods' veths and the bridge plugin's masquerade rules, and the
# test internet (TEST-NET-2) live there only.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock node iptables; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns crinode "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
# shellcheck source=integration/cri.lib.sh
. "$BOTTLE_TOP/integration/cri.lib.sh"
engine_bottled_init cri-pod
# Part (a) asks for plain mode by a pod annotation: the operator trusts annotations with that.
python3 - "$ENGINE_TMP/bottle.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["trust"] = {"annotations": {"plain": True}}
json.dump(c, open(sys.argv[1], "w"))
PY
cri_start
ROOT=$CRI_BOTTLE_ROOT
T=$ENGINE_TMP/cri
SERVER=(sh -c 'trap "exit 0" TERM; mkdir -p /tmp/www; echo pod-server-ok >/tmp/www/index.html
  httpd -f -p 8080 -h /tmp/www & wait')
CLIENT=(sh -c 'trap "exit 0" TERM; sleep 2147483647 & wait')
# The node's own requests go direct, whatever the caller's environment says.
node_get() { curl -sS --noproxy '*' -m 5 "$@" 2>&1; }
pod_uid() { cri inspectp "$1" | _cri_json_field status.metadata.uid; }
# A running container is not yet a listening server: wait (5 s at most) until httpd is bound.
# shellcheck disable=SC2016 # expanded in the container
wait_listening() {
  cri exec "$1" sh -c 'for i in $(seq 50); do netstat -ltn | grep -q ":8080 " && exit 0; sleep 0.1; done; exit 1' >/dev/null 2>&1
}
check_pod_cgroup_empty() { check_eq "$1: nothing left in the pod's cgroup" "" "$(cri_pod_cgroup_leftovers "$2")"; }
# The probe's output, minus what differs between two pods anyway (ids, the pod uid).
probe_normalise() { sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UID/g' | engines_normalise; }

# The first pod on a node makes the CNI bridge and the masquerade chain, which stay: a
# sandbox-only pod makes them before the snapshot everything is compared with.
cri_pod_json "$T/warm.json" warm
warm=$(cri runp "$T/warm.json" runc) || { fail "warm-up pod under runc"; finish; exit 1; }
cri_remove_pod "$warm" || fail "warm-up pod removed"
before=$(snapshot)

# ---- (a) a plain pod: runc, and bottle with bottle.mode=plain ----------------------------------
declare -A probe=()
plain_pod() { # HANDLER ANNOTATIONS-JSON
  local h=$1 pod srv cli ip uid out
  cri_pod_json "$T/plain-$h.json" plain "$2" # one name: the probe prints the hostname's length
  if ! pod=$(cri runp "$T/plain-$h.json" "$h"); then
    fail "$h: RunPodSandbox of a plain pod"
    return
  fi
  ok "$h: RunPodSandbox of a plain pod"
  uid=$(pod_uid "$pod")
  track "$pod"
  srv=$(cri_run_container "$pod" "$T/plain-$h.json" server "${SERVER[@]}")
  check_eq "$h: server container created and started" 0 "$?"
  cli=$(cri_run_container "$pod" "$T/plain-$h.json" client "${CLIENT[@]}")
  check_eq "$h: client container created and started" 0 "$?"
  check "$h: server running" cri_wait_state "$srv" CONTAINER_RUNNING
  check "$h: client running" cri_wait_state "$cli" CONTAINER_RUNNING
  wait_listening "$srv"
  check_eq "$h: the client reaches the server on localhost" pod-server-ok \
    "$(cri exec "$cli" wget -q -O- http://127.0.0.1:8080/ 2>&1)"
  ip=$(cri_pod_ip "$pod")
  check_eq "$h: the node reaches the server at the pod IP ($ip)" pod-server-ok "$(node_get "http://$ip:8080/")"
  out=$(cri exec --json "$cli" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3')
  check_contains "$h: ExecSync returns stdout" '"stdout": "to-stdout\n"' "$out"
  check_contains "$h: ExecSync returns stderr" '"stderr": "to-stderr\n"' "$out"
  check_contains "$h: ExecSync returns the exit code" '"exit_code": 3' "$out"
  probe[$h]=$(cri exec "$cli" sh -c "$ENGINE_PROBE" 2>&1 | probe_normalise)
  capeff=$(cri exec "$cli" grep CapEff: /proc/1/status 2>&1 | awk '{ print $2 }')
  check_eq "$h: the client holds CAP_NET_RAW (Docker's default set, as the bottled pod's checks below assume)" \
    00000000a80425fb "$capeff"
  check "$h: the pod removed (stop, remove each container, StopPodSandbox, RemovePodSandbox)" cri_remove_pod "$pod"
  left_behind "$h: plain pod removed"
  check_pod_cgroup_empty "$h" "$uid"
}
plain_pod runc '{}'
plain_pod bottle '{"bottle.mode": "plain"}'
if [[ ${probe[runc]:-} != *"status: Uid:"* ]]; then
  fail "the probe ran in the runc pod's client"
elif [ "${probe[runc]}" = "${probe[bottle]:-}" ]; then
  ok "the bottle.mode=plain pod's client looks like the runc pod's (ENGINE_PROBE by ExecSync)"
else
  fail "the bottle.mode=plain pod's client looks like the runc pod's (ENGINE_PROBE by ExecSync)"
  diff <(echo "${probe[runc]}") <(echo "${probe[bottle]:-}") | sed 's/^</   runc  /; s/^>/   bottle/' | grep -E '^   (runc|bottle)' | cut -c1-240
fi

# ---- (b) a hostNetwork pod under bottle ---------------------------------------------------------
cri_pod_json "$T/hostnet.json" hostnet '{}' hostnet
out=$(cri runp "$T/hostnet.json" bottle 2>&1)
rc=$?
echo "$out"
check_fails "hostNetwork pod under bottle: RunPodSandbox refused" test "$rc" -eq 0
check_contains "hostNetwork pod: the line says the host network cannot be confined" \
  "host networking, e.g. docker --network host, cannot be confined" "$out"
check_contains "hostNetwork pod: the line says what to do" "drop the host network or run it plain" "$out"
check_eq "hostNetwork pod: no sandbox listed" "" "$(cri pods | python3 -c 'import json, sys
print(" ".join(p["id"] for p in json.load(sys.stdin).get("items", [])))')"
for p in /sys/fs/cgroup/*"$ENGINE_CGROUP_PARENT"/pod*; do [ -d "$p" ] && rmdir "$p" 2>/dev/null; done
left_behind "hostNetwork pod refused"

# ---- (c) a bottled pod --------------------------------------------------------------------------
cri_pod_json "$T/bottled.json" bottled
sid=$(cri runp "$T/bottled.json" bottle)
check_eq "bottled pod: RunPodSandbox" 0 "$?"
track "$sid"
uid=$(pod_uid "$sid")
srv=$(cri_run_container "$sid" "$T/bottled.json" server "${SERVER[@]}" 2>"$T/srv.err")
check_eq "bottled pod: the server container created and started" "" "$(cat "$T/srv.err")"
cli=$(cri_run_container "$sid" "$T/bottled.json" client "${CLIENT[@]}" 2>"$T/cli.err")
check_eq "bottled pod: the client container created and started" "" "$(cat "$T/cli.err")"
check "bottled pod: server running" cri_wait_state "$srv" CONTAINER_RUNNING
check "bottled pod: client running" cri_wait_state "$cli" CONTAINER_RUNNING
wait_listening "$srv"
exec_in() { local id=$1; shift 2; cri exec "$id" "$@"; } # exec_in CTR BOTTLE-ID CMD...
exec_cli() { exec_in "$cli" "$@"; }
exec_srv() { exec_in "$srv" "$@"; }
# The sandbox's bottle: state, record, and each app container's ExecSync in its agent netns
# with the proxy env and a way out through the proxy.
check_bottle_exec "ExecSync in the client" "$sid" "engine netns" exec_cli
check_bottle_exec "ExecSync in the server" "$sid" "engine netns" exec_srv
# busybox wget ignores no_proxy: -Y off is what a client that honours NO_PROXY does for localhost.
check_eq "the client reaches the server on localhost" pod-server-ok \
  "$(cri exec "$cli" wget -Y off -q -O- http://127.0.0.1:8080/ 2>&1)"
out=$(cri exec "$cli" wget -q -O- "http://blocked-$$.test/" 2>&1)
check_contains "client: another host gets 403 through the proxy" "403 Forbidden" "$out"
check_contains "bottle logs of the pod: the blocked request is marked BLOCKED" "BLOCKED GET blocked-$$.test:80" \
  "$(B logs "$sid" 2>&1)"
out=$(cri exec "$cli" nc -w 2 "$IP" 80 </dev/null 2>&1)
check_contains "client: a direct connection fails at once (no route)" "Network is unreachable" "$out"
out=$(cri exec "$srv" nc -w 2 "$IP" 80 </dev/null 2>&1)
check_contains "server: a direct connection fails at once (no route)" "Network is unreachable" "$out"
for c in server client; do
  [ "$c" = server ] && id=$srv || id=$cli
  status=$(cri exec "$id" cat /proc/1/status 2>&1)
  capeff=$(awk '/^CapEff:/ { print $2 }' <<<"$status")
  check_eq "$c: the container's process lacks CAP_NET_RAW and CAP_NET_ADMIN (CapEff $capeff)" 0 \
    "$(((16#${capeff:-3000} >> 12) & 3))"
  filters=$(awk '/^Seccomp_filters:/ { print $2 }' <<<"$status")
  check "$c: the container's process has bottle's seccomp layer (Seccomp_filters ${filters:-?}; the pod asks for none)" \
    test "${filters:-0}" -ge 1
  check_contains "$c: ExecSync's process: a new network namespace refused" "unshare -n: 1" \
    "$(cri exec "$id" sh -c 'unshare -n true 2>/dev/null; echo "unshare -n: $?"' 2>&1)"
done
cni_ns=$(cri inspectp "$sid" | python3 -c 'import json, sys
for n in json.load(sys.stdin)["info"]["info"]["runtimeSpec"]["linux"]["namespaces"]:
    if n["type"] == "network": print(n.get("path", ""))')
sidecars=0
cni_ino=$(stat -L -c %i "$cni_ns" 2>/dev/null)
for p in /proc/[0-9]*; do
  [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$cni_ino" ] || continue
  [ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -d' ' -f1)" = /pipelock ] && sidecars=$((sidecars + 1))
done
check_eq "the pod has one sidecar (pipelock processes in the pod's CNI netns)" 1 "$sidecars"
check_eq "the pod has one bottle (bottle's records under its root)" "$sid" "$(ls -A "$ROOT/.bottle" 2>&1)"
check_eq "the pod's CNI netns holds lo, eth0 and one link to the agent" 3 \
  "$(nsenter --net="$cni_ns" ip -o link show 2>/dev/null | wc -l)"
ip=$(cri_pod_ip "$sid")
check_eq "the node reaches the server at the pod IP ($ip)" pod-server-ok "$(node_get "http://$ip:8080/")"
scg=$(grep -E '^[0-9]+:(memory|):' "/proc/$(sidecar_pid "$sid")/cgroup" 2>&1 | head -n 1 | cut -d: -f3)
check_contains "the sidecar's cgroup is under the pod's ($scg)" "$ENGINE_CGROUP_PARENT/pod$uid/" "$scg"
# The sandbox's annotations decide for the pod: a container that asks for plain mode by its own
# annotation (passed by container_annotations; bottle.json trusts annotations with plain) is
# refused, naming the pod.
cri_ctr_json "$T/wants-plain.json" wants-plain "${CLIENT[@]}"
python3 - "$T/wants-plain.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["annotations"] = {"bottle.mode": "plain"}
json.dump(c, open(sys.argv[1], "w"))
PY
wp=$(cri create "$sid" "$T/wants-plain.json" "$T/bottled.json")
out=$(cri start "$wp" 2>&1)
check_contains "a container asking for plain mode in a bottled pod is refused, naming the pod" \
  "asks for mode plain in pod $sid" "$out"
cri rm "$wp" >/dev/null 2>&1
# The app containers go (a pod's containers restart, or the pod is scaled to its sandbox).
cri stop "$srv" 10 && cri rm "$srv" && cri stop "$cli" 10 && cri rm "$cli"
check_eq "bottled pod: both app containers stopped and removed" 0 "$?"
check_contains "with the app containers gone the pod's bottle still runs" '"sidecar": "running"' "$(B state "$sid" 2>&1)"
check_eq "with the app containers gone the sandbox is ready" SANDBOX_READY "$(cri_pod_state "$sid")"
again=$(cri_run_container "$sid" "$T/bottled.json" again "${CLIENT[@]}")
check_eq "a new app container joins the same bottle: the allowed host through the proxy" \
  "hello from the test internet" "$(cri exec "$again" wget -q -O- http://example.test/ 2>&1)"
check "bottled pod removed (stop, remove each container, StopPodSandbox, RemovePodSandbox)" cri_remove_pod "$sid"
left_behind "bottled pod removed"
check_pod_cgroup_empty "bottled pod" "$uid"

# bottled_sandbox NAME: a bottled pod's sandbox; sets pod (its id), puid, ppid (its process)
bottled_sandbox() {
  cri_pod_json "$T/$1.json" "$1"
  pod=$(cri runp "$T/$1.json" bottle)
  check_eq "$1 pod: RunPodSandbox" 0 "$?"
  track "$pod"
  puid=$(pod_uid "$pod")
  ppid=$(cri inspectp "$pod" | _cri_json_field info.info.pid)
}
wait_not_ready() { for _ in $(seq 100); do [ "$(cri_pod_state "$1")" = SANDBOX_NOTREADY ] && break; sleep 0.1; done; }

# A sandbox killed with SIGKILL: the engine sees its task exit; the kubelet's Stop and Remove
# of the pod then leave nothing.
bottled_sandbox killed
kid=$pod
kcli=$(cri_run_container "$kid" "$T/killed.json" client "${CLIENT[@]}")
check "killed pod: its client running" cri_wait_state "$kcli" CONTAINER_RUNNING
kill -KILL "$ppid"
wait_not_ready "$kid"
check_eq "killed pod: the sandbox is not ready after SIGKILL of its process" SANDBOX_NOTREADY "$(cri_pod_state "$kid")"
check "killed pod: removed by the kubelet's calls" cri_remove_pod "$kid"
left_behind "sandbox killed with SIGKILL, then RemovePodSandbox"
check_pod_cgroup_empty "killed pod" "$puid"

# A sandbox killed with SIGKILL together with its shim, while containerd is frozen: nobody
# deletes the bottle; `bottle gc --stopped` does. containerd, thawed, then cleans its own side.
bottled_sandbox gced
gid=$pod guid=$puid gpid=$ppid
gsidecar=$(sidecar_pid "$gid")
gshim=$(ps -o ppid= -p "$gpid" | tr -d ' ')
check_contains "gc pod: the sandbox's parent is its shim" containerd-shim "$(tr '\0' ' ' <"/proc/$gshim/cmdline")"
kill -STOP "$_containerd_pid"
kill -KILL "$gshim" "$gpid"
for _ in $(seq 100); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.05; done
out=$(B gc --stopped 2>&1)
check_contains "bottle gc --stopped removes the killed sandbox's bottle" "removed $gid" "$out"
# Killed, it is a zombie until its parent (init, the shim being dead) reaps it.
sidecar_alive() { [ -e "/proc/$gsidecar" ] && [ "$(awk '{ print $3 }' "/proc/$gsidecar/stat" 2>/dev/null)" != Z ]; }
for _ in $(seq 50); do sidecar_alive || break; sleep 0.1; done
check_fails "after bottle gc: its sidecar is gone" sidecar_alive
check_eq "after bottle gc: no bottle state" "" "$(ls -A "$ROOT/.bottle" 2>/dev/null)"
check_eq "after bottle gc: no netns of it" "" "$(find /run/bottle/netns -maxdepth 1 -name "$(nname "$gid")*" 2>/dev/null)"
kill -CONT "$_containerd_pid"
wait_not_ready "$gid"
check "gc pod: removed by the kubelet's calls after gc" cri_remove_pod "$gid"
left_behind "sandbox and shim killed with SIGKILL, bottle gc, then RemovePodSandbox"
check_pod_cgroup_empty "gc pod" "$guid"

engines_check_no_leftover_cgroups
finish

#!/usr/bin/env bash
# Issue 5, bottle create/start/state/exec/logs/kill/delete of bottled containers: exec'd
# processes get the proxy env and no CAP_NET_RAW/CAP_NET_ADMIN, logs mark blocked requests,
# state reports the sidecar, delete removes the sidecar process, netns, links, nft rules,
# overlay, cgroups and state; two bottles at once stay apart.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup life
IP=$INTERNET_IP
before=$(bt_snapshot)
A=life-a-$$ B=life-b-$$
bt_track "$A" "$B"

bottled_agent "$BT/agent" sleep 600
# The agent asks for the network capabilities: the bottle must take them away.
bundle_edit "$BT/agent" '
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_NET_ADMIN"]
c["process"]["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}'
state_field() { bt state "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2', '(absent)'))"; }
# capeff_net CAPEFF_HEX: "raw=0 admin=0" from /proc's CapEff
capeff_net() { local v=$((16#$1)); echo "raw=$(((v >> 13) & 1)) admin=$(((v >> 12) & 1))"; }

check "create A" bt create --bundle "$BT/agent" "$A"
check_eq "state A: created" created "$(state_field "$A" status)"
check_eq "state A: sidecar running" running "$(state_field "$A" sidecar)"
name=$(bt_netns_name "$A")
check "A: agent netns bind mount" test -e "/run/bottle/netns/$name-a"
check "A: sidecar netns bind mount" test -e "/run/bottle/netns/$name-s"
check "A: uplink veth on the host" bash -c "nsenter --net=/run/netns/$BT_HOST ip -o link show | grep -q btlh"
check_contains "A: masquerade in the host's nft table" "masquerade" "$(bt_host nft list table ip bottle 2>&1)"
check "A: sidecar overlay mounted" grep -qF " $BT_ROOT/.bottle/$A/fs/merged " /proc/self/mountinfo
# its upper layer sits on a tmpfs of its own, which goes in one unmount
check_eq "A: sidecar overlay's upper layer on a tmpfs" "tmpfs" \
  "$(awk -v m="$BT_ROOT/.bottle/$A/fs" '$5 == m {print $9}' /proc/self/mountinfo)"
# a sibling of the agent's cgroup (A and B share their bundle's cgroupsPath, and so this one)
check "A: sidecar cgroup" bash -c "ls -d /sys/fs/cgroup/*/bottle-test/agent-$$-bottle-sidecar /sys/fs/cgroup/bottle-test/agent-$$-bottle-sidecar 2>/dev/null | grep -q ."
sidecar_pid=$(python3 -c "import json; print(json.load(open('$BT_ROOT/.bottle/$A/state/sidecar/bottle.json'))['pid'])" 2>/dev/null)
check "A: sidecar pid known" test "${sidecar_pid:-0}" -gt 1
check "A: sidecar process runs" kill -0 "${sidecar_pid:-0}"
check_contains "A: sidecar is the pipelock" "pipelock" "$(tr '\0' ' ' </proc/"${sidecar_pid:-0}"/cmdline 2>/dev/null)"
# Its stdio is /dev/null and its log, never the caller's pipes (a shim waits for those to close).
check_eq "A: sidecar stdio" "/dev/null $BT_ROOT/.bottle/$A/sidecar.log $BT_ROOT/.bottle/$A/sidecar.log" \
  "$(readlink /proc/"${sidecar_pid:-0}"/fd/0 /proc/"${sidecar_pid:-0}"/fd/1 /proc/"${sidecar_pid:-0}"/fd/2 | tr '\n' ' ' | sed 's/ $//')"
check "start A" bt start "$A"
check_eq "state A: running" running "$(state_field "$A" status)"

out=$(bt exec "$A" sh -c 'env | grep -i _proxy= | sort; grep CapEff /proc/self/status' 2>&1)
echo "$out"
check_contains "exec: HTTP_PROXY" "HTTP_PROXY=http://" "$out"
check_contains "exec: https_proxy" "https_proxy=http://" "$out"
check_contains "exec: no_proxy" "no_proxy=localhost,127.0.0.1,::1" "$out"
check_eq "exec: no CAP_NET_RAW/CAP_NET_ADMIN" "raw=0 admin=0" "$(capeff_net "$(awk '/CapEff/ {print $2}' <<<"$out")")"
check_eq "agent (pid 1): no CAP_NET_RAW/CAP_NET_ADMIN" "raw=0 admin=0" \
  "$(capeff_net "$(bt exec "$A" awk '/CapEff/ {print $2}' /proc/1/status)")"
out=$(bt exec --cap CAP_NET_RAW --cap CAP_NET_ADMIN "$A" awk '/CapEff/ {print $2}' /proc/self/status 2>&1)
check_eq "exec --cap CAP_NET_RAW: still dropped" "raw=0 admin=0" "$(capeff_net "${out:-0}")"
out=$(bt exec --env HTTP_PROXY=http://192.0.2.99:1 --env NO_PROXY='*' "$A" sh -c 'echo "$HTTP_PROXY $NO_PROXY"' 2>&1)
check_eq "exec --env cannot repoint the proxy" "http://10.231.0.1:8888 localhost,127.0.0.1,::1" "$out"
cat >"$BT/process.json" <<'JSON'
{"terminal": false, "user": {"uid": 1000, "gid": 1000}, "args": ["sh", "-c", "id -u; env | grep -ic _proxy=; echo $https_proxy; grep CapEff /proc/self/status"],
 "env": ["PATH=/bin", "https_proxy=http://192.0.2.99:1"], "cwd": "/",
 "capabilities": {"bounding": ["CAP_NET_RAW", "CAP_NET_ADMIN"], "effective": ["CAP_NET_RAW", "CAP_NET_ADMIN"], "permitted": ["CAP_NET_RAW", "CAP_NET_ADMIN"]}}
JSON
out=$(bt exec --process "$BT/process.json" "$A" 2>&1)
echo "$out"
check_eq "exec --process: runs as the given user" 1000 "$(head -1 <<<"$out")"
check_eq "exec --process: all six proxy variables" 6 "$(sed -n 2p <<<"$out")"
check_eq "exec --process: its https_proxy is replaced" "http://10.231.0.1:8888" "$(sed -n 3p <<<"$out")"
check_eq "exec --process: network capabilities dropped" "raw=0 admin=0" "$(capeff_net "$(awk '/CapEff/ {print $2}' <<<"$out")")"
check_contains "exec: allowed host 200" "hello from the test internet" \
  "$(bt exec "$A" wget -q -O- http://example.test/ 2>&1)"
check_contains "exec: other host 403" "403" "$(bt exec "$A" wget -q -O- http://blocked-$$.test/ 2>&1)"
check_contains "exec: direct fails at once" "Network is unreachable" \
  "$(bt exec "$A" nc -w 2 "$IP" 80 </dev/null 2>&1)"
logs=$(bt logs "$A" 2>&1)
check_contains "logs: the blocked request is marked" "BLOCKED GET blocked-$$.test:80" "$logs"
check_eq "logs: one BLOCKED line" 1 "$(grep -c '^BLOCKED' <<<"$logs")"
check_contains "logs: other events, one line each" 'startup listen=' "$logs"
check_contains "logs --json: the raw audit lines" '"event":"startup"' "$(bt logs --json "$A")"
check_fails "logs of an unknown id fail" bt logs "nosuch-$$"

# Two bottles at once: same agent /30 in both, each in its own namespaces.
bottled_agent "$BT/agent-b" sleep 600
check "create B" bt create --bundle "$BT/agent-b" "$B"
check "start B" bt start "$B"
nb=$(bt_netns_name "$B")
b_uplink=$(nsenter --net="/run/bottle/netns/$nb-s" ip -4 -o addr show dev uplink0 | awk '{print $4}' | cut -d/ -f1)
a_uplink=$(nsenter --net="/run/bottle/netns/$name-s" ip -4 -o addr show dev uplink0 | awk '{print $4}' | cut -d/ -f1)
echo "A uplink $a_uplink, B uplink $b_uplink"
check "the two uplinks differ" test -n "$b_uplink" -a "$a_uplink" != "$b_uplink"
check_contains "A cannot reach B's sidecar uplink directly" "Network is unreachable" \
  "$(bt exec "$A" nc -w 2 "$b_uplink" 8888 </dev/null 2>&1)"
check_contains "A cannot reach B's sidecar through its proxy" "403" \
  "$(bt exec "$A" wget -q -O- "http://$b_uplink:8888/health" 2>&1)"
check_contains "A cannot reach the host end of B's uplink" "403" \
  "$(bt exec "$A" wget -q -O- "http://$(sed 's/\.[0-9]*$//' <<<"$b_uplink").$(( ${b_uplink##*.} - 1 )):80/" 2>&1)"
bt exec "$A" wget -q -O- "http://only-from-a-$$.test/" >/dev/null 2>&1
bt exec "$B" wget -q -O- "http://only-from-b-$$.test/" >/dev/null 2>&1
check_contains "A's request reached A's sidecar" "only-from-a-$$" "$(bt logs "$A")"
check_fails "A's request did not reach B's sidecar" grep -q "only-from-a-$$" <<<"$(bt logs "$B")"
check_contains "B's request reached B's sidecar" "only-from-b-$$" "$(bt logs "$B")"
check_fails "B's request did not reach A's sidecar" grep -q "only-from-b-$$" <<<"$(bt logs "$A")"
check_eq "A's agent sees its own sidecar only" "$(bt exec "$A" ip -4 -o addr show dev eth0 | awk '{print $4}')" \
  "$(bt exec "$B" ip -4 -o addr show dev eth0 | awk '{print $4}')"

# kill, state, delete
check "kill A" bt kill "$A" KILL
for _ in $(seq 100); do [ "$(state_field "$A" status)" = stopped ] && break; sleep 0.05; done
check_eq "state A: stopped" stopped "$(state_field "$A" status)"
check_eq "state A: sidecar still up until delete" running "$(state_field "$A" sidecar)"
check_fails "delete B while running fails" bt delete "$B"
mkfifo "$BT/hold"
nsenter --net="/run/bottle/netns/$name-s" sh -c 'read -r _ <"$1"' _ "$BT/hold" &
holder=$!
uplink=btlh$(bt_link_hash "$A")
old_uplink=$(bt_host ip -o link show "$uplink" | cut -d: -f1)
check "delete A" bt delete "$A"
# Dead: gone, or a zombie waiting for pid 1 to reap it (this VM's pid 1 reaps late).
check_contains "A: sidecar process dead" "$(awk '/^State/ {print $2}' "/proc/${sidecar_pid:-0}/status" 2>/dev/null)" "Z"
check_fails "A: state gone" bt state "$A"
check "A: agent netns gone" test ! -e "/run/bottle/netns/$name-a"
check "A: sidecar netns gone" test ! -e "/run/bottle/netns/$name-s"
check "A: overlay unmounted" test -z "$(grep -F " $BT_ROOT/.bottle/$A/" /proc/self/mountinfo)"
check "A: bottle dir gone" test ! -e "$BT_ROOT/.bottle/$A"
# A netns can outlive its bottle: here a process that stayed in A's sidecar netns holds it
# past the delete (an orphaned TCP connection of the proxy does the same, for minutes). The
# host's end of the uplink must not stay with it: delete sets it down at once and deletes it,
# by index, after reporting (that waits out an RCU barrier). A create of the same id (same
# link names) right away waits for the old name to be free, and keeps its new link.
check "A again at once: create" bt create --bundle "$BT/agent" "$A"
old_left() { bt_host ip -o link show | grep "^$old_uplink: "; }
check_eq "A: the old uplink end is gone while its netns is held" "" "$(settle old_left "")"
check "A: its old sidecar netns is still held" test -d "/proc/$holder"
check_contains "A again: a new uplink end, up" "UP" "$(bt_host ip -o link show "$uplink")"
echo go >"$BT/hold"
wait "$holder"
check_eq "A again: sidecar running" running "$(state_field "$A" sidecar)"
check "A again: delete" bt delete --force "$A"
# A connection through the proxy open at delete, to a server that never closes: the sidecar's
# upstream socket, cut by the stop, is left an orphan that holds B's sidecar netns for a
# minute. Nothing of it may stay on the host ("host as before" below).
# nsenter itself, not internet_ns_exec (a function, which would make $! a subshell's pid)
nsenter --net="/run/netns/$INTERNET_NS" python3 -c '
import socket, sys, time
s = socket.create_server((sys.argv[1], 81))
conn = s.accept()
open(sys.argv[2], "w").close()
time.sleep(600)' "$INTERNET_IP" "$BT/accepted" >/dev/null 2>&1 &
_internet_pids+=($!)
listening() { internet_ns_exec ss -Hltn "sport = :81" | grep -q . && echo yes; }
settle listening yes >/dev/null
bt exec "$B" sh -c 'wget -q -O /dev/null http://example.test:81/ </dev/null >/dev/null 2>&1 &'
accepted() { [ -e "$BT/accepted" ] && echo yes; }
check_eq "B: a connection through its proxy is open" yes "$(settle accepted yes)"
check "delete B --force while running" bt delete --force "$B"
check "delete again is an error without --force" test "$(bt delete "$B" >/dev/null 2>&1; echo $?)" -ne 0
check "delete --force again succeeds" bt delete --force "$B"
check_eq "no nft rules left in the host's bottle table" "" \
  "$(bt_host nft list table ip bottle 2>/dev/null | grep -E 'masquerade|accept')"
# A plain container's state has no sidecar field.
bottled_config "$BT/plain.json" 'c["mode"] = "plain"'
P=plain-$$
bt_track "$P"
check "plain create" env BT_CONFIG_FILE="$BT/plain.json" bash -c "nsenter --net=/run/netns/$BT_HOST $BOTTLE --root $BT_ROOT --config $BT/plain.json create --bundle $BT/agent $P"
check_eq "plain state: no sidecar field" "(absent)" "$(state_field "$P" sidecar)"
check "plain delete" bt delete --force "$P"
check_same "host as before" "$before" "$(settle bt_snapshot "$before")"
finish

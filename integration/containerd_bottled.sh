#!/usr/bin/env bash
# Issue 5, Done when 1-2 for `ctr run --runc-binary bottle` (containerd 1.6, runc v2 shim,
# bottled mode, the pipelock test double as sidecar). ctr's default spec asks for a new netns
# and has no prestart hook, so the bottle takes its own uplink: bottle creates the sidecar
# netns, a veth to the host with masquerade, and writes network.dns into the sidecar's
# resolv.conf.
#
# The whole test runs in a private network namespace that plays the host (it re-executes
# itself there): containerd, the test internet (TEST-NET-2, HTTP + counting DNS, on this
# "host"'s routing) and the uplink veths, nft rules and per-link sysctls bottle makes live
# there, so the real host is never touched and snapshots are exact. As on a real host it has a
# default route, into a veth whose peer is down (TEST-NET-1), so nothing can leave.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns cbhost "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_init ctr-bottled
engine_dead_uplink
containerd_start
ctr_busybox_image
IMG=$ENGINE_CTR_IMAGE
ROOT=$CTR_RUNTIME_ROOT/$CTR_NS
RB=(--runc-binary "$ENGINE_RUNTIME_PATH" --runc-root "$CTR_RUNTIME_ROOT")
ct() { timeout 120 ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"; }
task_status() { c task ls | awk -v id="$1" '$1 == id { print $3 }'; }

before=$(snapshot)

# 1. One agent makes every probe as its main process (ctr run --rm).
id=cb-$$-probe
track "$id"
out=$(ct run --rm "${RB[@]}" "$IMG" "$id" sh -c "$(agent_probe)" 2>&1)
check_agent_probe "ctr run --rm" "$?" "$out"
left_behind "ctr run --rm"

# 2. Two bottles at once (ctr run -d): exec, logs, isolation, then kill + delete.
a=cb-$$-a b=cb-$$-b
track "$a"
track "$b"
ct run -d "${RB[@]}" "$IMG" "$a" sleep 600 >/dev/null || fail "ctr run -d a"
ct run -d "${RB[@]}" "$IMG" "$b" sleep 600 >/dev/null || fail "ctr run -d b"
# ct_exec ID CMD...: each exec needs an id of its own (this one is often run in a subshell)
ct_exec() { local id=$1; shift; ct task exec --exec-id "x$BASHPID-$RANDOM" "$id" "$@"; }
check_bottle_exec "ctr task exec" "$a" "own uplink" ct_exec
ct_exec "$a" wget -q -O- "http://only-a-$$.test/" >/dev/null 2>&1
check_contains "bottle logs: the blocked request is marked BLOCKED" "BLOCKED GET only-a-$$.test:80" "$(B logs "$a" 2>&1)"
check_fails "bottle logs of b: not there" grep -q "only-a-$$" <<<"$(B logs "$b" 2>&1)"
check_fails "the agents' netns differ" test "$(stat -L -c %i "$AGENT_NS")" = \
  "$(ct_exec "$b" stat -L -c %i /proc/self/ns/net)"
a_sns=/proc/$(sidecar_pid "$a")/ns/net b_sns=/proc/$(sidecar_pid "$b")/ns/net
a_up=$(nsenter --net="$a_sns" ip -4 -o addr show uplink0 | awk '{print $4}' | cut -d/ -f1)
b_up=$(nsenter --net="$b_sns" ip -4 -o addr show uplink0 | awk '{print $4}' | cut -d/ -f1)
check_fails "each bottle has its own uplink address ($a_up, $b_up)" test -z "$b_up" -o "$a_up" = "$b_up"
out=$(ct_exec "$a" nc -w 2 "$b_up" 8888 </dev/null 2>&1)
check_contains "A -> B's sidecar $b_up:8888 directly: unreachable" "Network is unreachable" "$out"
out=$(ct_exec "$a" wget -q -O- "http://$b_up:8888/health" 2>&1)
check_contains "A -> B's sidecar through A's proxy: 403" "403 Forbidden" "$out"
check_fails "A's sidecar netns cannot open B's proxy at $b_up:8888" \
  nsenter --net="$a_sns" busybox nc -w 2 "$b_up" 8888 </dev/null
check_eq "control: B reaches the allowed host" "hello from the test internet" \
  "$(ct_exec "$b" wget -q -O- http://example.test/ 2>&1)"
# a: killed, then deleted through the shim (what docker stop ends in).
ct task kill -s SIGKILL "$a"
for _ in $(seq 100); do [ "$(task_status "$a")" = STOPPED ] && break; sleep 0.1; done
check_eq "ctr task kill: stopped" STOPPED "$(task_status "$a")"
check "ctr task delete a" ct task delete "$a"
check_fails "after task delete: bottle has no state for a" test -e "$ROOT/.bottle/$a"
# b: deleted while running (like docker rm -f).
check "ctr task delete --force b (running)" ct task delete --force "$b"
ct container delete "$a" "$b" >/dev/null
left_behind "task kill + delete, delete --force"

# 3. A bottled run that fails: no sidecar bundle rootfs -> a clear error, nothing left.
python3 - "$ENGINE_TMP/bottle.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["sidecar"]["bundle"] = "/nonexistent-bottle-sidecar"
json.dump(c, open(sys.argv[1], "w"))
PY
id=cb-$$-nobundle
track "$id"
out=$(ct run --rm "${RB[@]}" "$IMG" "$id" true 2>&1)
check_fails "missing sidecar bundle: ctr run fails" test $? -eq 0
check_contains "missing sidecar bundle: the error names sidecar.bundle" "sidecar.bundle" "$out"
ct container delete "$id" >/dev/null 2>&1
left_behind "failed create"
engines_check_no_leftover_cgroups
finish

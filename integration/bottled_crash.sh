#!/usr/bin/env bash
# Issue 5, "done when" 2: a SIGKILL of `bottle create` at each step of a bottled create
# (BOTTLE_CREATE_CRASH_AT=N), followed by `delete --force`, leaves the host exactly as before;
# and a create that fails (bad sidecar bundle, bad annotation, unknown profile, a sidecar that
# never answers) says so in one line naming the field and leaves nothing behind.
#
# The crash points exist in the sanitized test build only (BOTTLE_FAULT_INJECTION, SAN=1): this
# test runs build/asan/bottle (ASAN_BUILD, as sanitized.sh) unless BOTTLE names another, and
# fails, not skips, when that binary lacks the hook or the release binary has it.
. "$(dirname "$0")/../tests/lib.sh"
release=$BOTTLE
ASAN_BUILD=${ASAN_BUILD:-build/asan}
case $ASAN_BUILD in /*) ;; *) ASAN_BUILD=$BOTTLE_TOP/$ASAN_BUILD ;; esac
[ "$BOTTLE" = "$BUILD/bottle" ] && export BOTTLE=$ASAN_BUILD/bottle BOTTLE_RUN=$ASAN_BUILD/bottle-run
if ! grep -q BOTTLE_CREATE_CRASH_AT "$BOTTLE" 2>/dev/null; then
  echo "not ok - $BOTTLE has no crash points (BOTTLE_FAULT_INJECTION): make asan, or ASAN_BUILD=DIR" >&2
  exit 1
fi
. "$(dirname "$0")/bottled.lib.sh"
if [ "$release" != "$BOTTLE" ] && [ -e "$release" ]; then
  check_fails "the release binary $release does not read BOTTLE_CREATE_CRASH_AT" \
    grep -q BOTTLE_CREATE_CRASH_AT "$release"
fi
bottled_setup crash
before=$(bt_snapshot)
bottled_agent "$BT/agent" sleep 600

steps=0
for n in $(seq 1 7); do
  id=crash-$n-$$
  bt_track "$id"
  BOTTLE_CREATE_CRASH_AT=$n bt create --bundle "$BT/agent" "$id" >"$BT/create.out" 2>&1
  rc=$?
  check_eq "step $n: create killed" 137 "$rc"
  [ "$rc" = 137 ] && steps=$n
  # Something was made at this step (else the step would test nothing).
  check "step $n: the crash left something to clean" test -e "$BT_ROOT/.bottle/$id"
  mid=$(bt_snapshot)
  check "step $n: the snapshot sees it" test "$mid" != "$before"
  [ "$n" -ge 3 ] && check_contains "step $n: the snapshot sees the sidecar process" "proc cgroup=/bottle-test/agent-$$-bottle-sidecar " "$mid"
  [ "$n" -ge 4 ] && check_contains "step $n: the snapshot sees the uplink" "btlh$(bt_link_hash "$id")" "$mid"
  check "step $n: delete --force" bt delete --force "$id"
  check_same "step $n: host as before" "$before" "$(settle bt_snapshot "$before")"
done
check_eq "crashes injected at 7 steps" 7 "$steps"
# Past the last step, create completes: the crash points are real steps of one create.
id=crash-none-$$
bt_track "$id"
BOTTLE_CREATE_CRASH_AT=8 bt create --bundle "$BT/agent" "$id"
check_eq "create with no crash point reached" created \
  "$(bt state "$id" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
check "delete it" bt delete --force "$id"
check_same "host as before (completed create)" "$before" "$(settle bt_snapshot "$before")"

# gc also cleans a crashed create (the shim never calls delete).
id=crash-gc-$$
bt_track "$id"
BOTTLE_CREATE_CRASH_AT=5 bt create --bundle "$BT/agent" "$id" >/dev/null 2>&1
check_contains "gc removes a crashed create" "removed $id" "$(bt gc 2>&1)"
check_same "host as before (gc)" "$before" "$(settle bt_snapshot "$before")"

# gc also removes the network of a create that died mid-build when nothing names it any more:
# the state root was lost with the bottle's record (its files, its overlay mount), the network's
# record is the host's. gc runs from another root: such a network belongs to none.
lost=$BT/lost-root
id=crash-lost-$$
BOTTLE_CREATE_CRASH_AT=2 bt_host "$BOTTLE" --root "$lost" --config "$BT_CONF" create \
  --bundle "$BT/agent" "$id" >/dev/null 2>&1
lost_name=$(BT_ROOT=$lost bt_netns_name "$id")
check "lost root: the crash left the network's record" test -e "/run/bottle/netns-state/$lost_name.rec"
check "lost root: and its namespaces" test -n "$(ls /run/bottle/netns | grep -F "$lost_name")"
grep -F " $lost/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
rm -rf "$lost"
out=$(bt gc 2>&1)
echo "gc: $out"
check_contains "lost root: gc says it removed the network" "removed 1 network whose create never finished" "$out"
check "lost root: the network's record is gone" test ! -e "/run/bottle/netns-state/$lost_name.rec"
check_eq "lost root: its namespaces are gone" "" "$(ls /run/bottle/netns | grep -F "$lost_name")"
check_same "host as before (lost root)" "$before" "$(settle bt_snapshot "$before")"

# Failing creates: one line naming the field, nothing left behind.
fails_cleanly() { # WHAT EXPECTED-SUBSTRING ID [create args...]
  local what=$1 want=$2 id=$3 rc
  shift 3
  bt_track "$id"
  out=$(bt create --bundle "${BT_AGENT:-$BT/agent}" "$@" "$id" 2>&1)
  rc=$?
  echo "$what: $out"
  check "$what: create fails" test "$rc" -ne 0
  check_contains "$what: names the problem" "$want" "$out"
  check_eq "$what: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$what: no state" bt state "$id"
  check_same "$what: host as before" "$before" "$(settle bt_snapshot "$before")"
}
bottled_config "$BT/nobundle.json" 'c["sidecar"]["bundle"] = "/nonexistent-bottle-test"'
BT_CONFIG_FILE=$BT/nobundle.json fails_cleanly "missing sidecar bundle" "sidecar.bundle" "bad-bundle-$$"
mkdir -p "$BT/empty-bundle"
bottled_config "$BT/emptybundle.json" "c['sidecar']['bundle'] = '$BT/empty-bundle'"
BT_CONFIG_FILE=$BT/emptybundle.json fails_cleanly "sidecar bundle without rootfs" "sidecar.bundle" "empty-bundle-$$"

cp -a "$BT/agent" "$BT/agent-annot"
bundle_edit "$BT/agent-annot" 'c["annotations"] = {"bottle.egress.allowlist": "http://x"}'
bt_track "bad-annot-$$"
out=$(cd "$BT/agent-annot" && bt create "bad-annot-$$" 2>&1)
echo "bad annotation: $out"
check_contains "bad annotation: names it" "bottle.egress.allowlist" "$out"
check_eq "bad annotation: one line" 1 "$(grep -c . <<<"$out")"
check_same "bad annotation: host as before" "$before" "$(settle bt_snapshot "$before")"
bundle_edit "$BT/agent-annot" 'c["annotations"] = {"bottle.profile": "nosuch"}'
bt_track "bad-profile-$$"
out=$(cd "$BT/agent-annot" && bt create "bad-profile-$$" 2>&1)
echo "unknown profile: $out"
check_contains "unknown profile: names it" "nosuch" "$out"
check_contains "unknown profile: names the annotation" "bottle.profile" "$out"
check_eq "unknown profile: one line" 1 "$(grep -c . <<<"$out")"
check_same "unknown profile: host as before" "$before" "$(settle bt_snapshot "$before")"

# What cannot be confined: host networking, or another process's network namespace.
cp -a "$BT/agent" "$BT/agent-hostnet"
bundle_edit "$BT/agent-hostnet" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
bt_track "hostnet-$$"
out=$(bt create --bundle "$BT/agent-hostnet" "hostnet-$$" 2>&1)
echo "host network: $out"
check_contains "host network: refused, naming the field" "linux.namespaces" "$out"
check_eq "host network: one line" 1 "$(grep -c . <<<"$out")"
check_same "host network: host as before" "$before" "$(settle bt_snapshot "$before")"
bundle_edit "$BT/agent-hostnet" 'c["linux"]["namespaces"].append({"type": "network", "path": "/proc/1/ns/net"})'
bt_track "joinnet-$$"
out=$(bt create --bundle "$BT/agent-hostnet" "joinnet-$$" 2>&1)
echo "joined network: $out"
check_contains "joined network: refused, naming the path" "/proc/1/ns/net" "$out"
check_eq "joined network: one line" 1 "$(grep -c . <<<"$out")"
check_same "joined network: host as before" "$before" "$(settle bt_snapshot "$before")"
# The same id twice: the second create fails and leaves the first intact.
id=twice-$$
bt_track "$id"
check "create once" bt create --bundle "$BT/agent" "$id"
out=$(bt create --bundle "$BT/agent" "$id" 2>&1)
check_contains "create twice: refused" "exists" "$out"
check_eq "create twice: the first still has its sidecar" running \
  "$(bt state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("sidecar"))')"
check "delete it" bt delete --force "$id"
check_same "create twice: host as before" "$before" "$(settle bt_snapshot "$before")"

# The agent's own create fails after the sidecar is up (a bind mount of a missing source).
cp -a "$BT/agent" "$BT/agent-badmount"
bundle_edit "$BT/agent-badmount" 'c["mounts"].append({"destination": "/x", "type": "bind", "source": "/nonexistent-bottle-test-src", "options": ["rbind"]})'
bt_track "badmount-$$"
out=$(bt create --bundle "$BT/agent-badmount" "badmount-$$" 2>&1)
echo "agent create fails: $out"
check_contains "agent create fails: says why" "nonexistent-bottle-test-src" "$out"
check_fails "agent create fails: no state" bt state "badmount-$$"
check_same "agent create fails: host as before (sidecar, network removed)" "$before" "$(settle bt_snapshot "$before")"

# A sidecar that exits at once, and one that never answers on the proxy port.
bottled_config "$BT/exits.json" 'c["sidecar"]["args"] = ["/pipelock", "version"]'
BT_CONFIG_FILE=$BT/exits.json fails_cleanly "sidecar exits" "the pipelock sidecar exited before its proxy answered" "exits-$$"
check_contains "sidecar exits: the log tail shows its output" "last log lines: pipelock 2.3.0" "$out"
bottled_config "$BT/deaf.json" 'c["sidecar"]["args"] = ["/pipelock", "run", "--listen", "{ip}:9999", "--config", "/etc/pipelock.yaml"]
c["sidecar"]["ready_timeout_ms"] = 300'
BT_CONFIG_FILE=$BT/deaf.json fails_cleanly "sidecar never ready" "sidecar.ready_timeout_ms" "deaf-$$"
check_contains "sidecar never ready: the log tail shows its startup" "startup" "$out"

# An engine that configures the network from a prestart hook (Docker's libnetwork-setkey,
# known by that argument): the hook gets a pid whose netns is bottle's sidecar netns, while
# every other hook (a GPU hook, say) is the agent's and gets the agent's pid; a failing
# network hook fails create.
cat >"$BT/hook.sh" <<'HOOK'
#!/bin/sh
pid=$(sed 's/.*"pid": *\([0-9]*\).*/\1/')
stat -L -c %i "/proc/$pid/ns/net" >"$1"
stat -L -c %i "/proc/$pid/ns/mnt" /proc/self/ns/mnt | sort -u | wc -l >"$1.mnt"
HOOK
chmod +x "$BT/hook.sh"
cp -a "$BT/agent" "$BT/agent-hook"
bundle_edit "$BT/agent-hook" "c['hooks'] = {'prestart': [
  {'path': '$BT/hook.sh', 'args': ['libnetwork-setkey', '$BT/hook-ns']},
  {'path': '$BT/hook.sh', 'args': ['gpu-hook', '$BT/other-ns']}]}"
id=hook-$$
bt_track "$id"
check "engine hook: create" bt create --bundle "$BT/agent-hook" "$id"
check_eq "engine hook: its pid held the sidecar netns" \
  "$(stat -L -c %i "/run/bottle/netns/$(bt_netns_name "$id")-s" 2>&1)" "$(cat "$BT/hook-ns" 2>&1)"
check_eq "engine hook: its pid has a mount namespace of its own (a hook entering it leaves the host's alone)" \
  2 "$(cat "$BT/hook-ns.mnt" 2>&1)"
check_eq "engine hook: the sidecar runs in that netns" "$(cat "$BT/hook-ns" 2>&1)" \
  "$(stat -L -c %i "/proc/$(python3 -c "import json; print(json.load(open('$BT_ROOT/.bottle/$id/state/sidecar/bottle.json'))['pid'])")/ns/net" 2>&1)"
check_eq "engine hook: the other hook got the agent's pid" \
  "$(stat -L -c %i "/run/bottle/netns/$(bt_netns_name "$id")-a" 2>&1)" "$(cat "$BT/other-ns" 2>&1)"
check_eq "engine hook: the agent keeps the other hook only" "['gpu-hook', '$BT/other-ns']" \
  "$(python3 -c "import json; print([h['args'] for h in json.load(open('$BT_ROOT/$id/bottle.json'))['config']['hooks']['prestart']])" 2>&1 | sed 's/^\[//; s/\]$//')"
check "engine hook: delete" bt delete --force "$id"
check_same "engine hook: host as before" "$before" "$(settle bt_snapshot "$before")"

# Without Docker's hook, other hooks are the agent's and bottle builds its own uplink.
bundle_edit "$BT/agent-hook" "c['hooks'] = {'prestart': [{'path': '$BT/hook.sh', 'args': ['gpu-hook', '$BT/only-ns']}]}"
id=agenthook-$$
bt_track "$id"
check "agent hook: create" bt create --bundle "$BT/agent-hook" "$id"
check_eq "agent hook: its pid is the agent's" \
  "$(stat -L -c %i "/run/bottle/netns/$(bt_netns_name "$id")-a" 2>&1)" "$(cat "$BT/only-ns" 2>&1)"
check_contains "agent hook: bottle's own uplink" "own uplink" "$(python3 -c "import json; print(json.load(open('$BT_ROOT/.bottle/$id/record.json'))['network'])" 2>&1)"
check "agent hook: delete" bt delete --force "$id"

# A hook of the agent that gives its netns another link (a way around the sidecar) fails create.
cat >"$BT/sneaky.sh" <<'HOOK'
#!/bin/sh
pid=$(sed 's/.*"pid": *\([0-9]*\).*/\1/')
nsenter --net="/proc/$pid/ns/net" ip link add sneaky0 type veth peer name sneaky1
HOOK
chmod +x "$BT/sneaky.sh"
bundle_edit "$BT/agent-hook" "c['hooks'] = {'prestart': [{'path': '$BT/sneaky.sh'}]}"
BT_AGENT=$BT/agent-hook fails_cleanly "agent hook adds a link" "is not bottle's (a hook of the container added or replaced it)" "sneaky-$$"
bundle_edit "$BT/agent-hook" "c['hooks'] = {'prestart': [{'path': '/bin/sh', 'args': ['libnetwork-setkey', '-c', 'echo no network for you >&2; exit 3']}]}"
BT_AGENT=$BT/agent-hook fails_cleanly "engine hook fails" "no network for you" "hookfail-$$"
finish

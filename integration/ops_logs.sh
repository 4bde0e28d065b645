#!/usr/bin/env bash
# Issue 13, Done when 1: `bottle logs` without --root finds bottled containers of a real dockerd
# and of containerd (ctr) by full id, short id and Docker name, follows a live log (a request
# made after `logs -f` started shows up, and -f ends when the container is deleted), --blocked
# keeps the denials only, --json the raw audit lines; an ambiguous prefix and an unknown name
# fail with one line. With --root only that root is searched.
#
# The engines' state roots are private to this test (under ENGINE_TMP), so `bottle logs` runs
# in a mount namespace of its own where they sit at the paths an operator's engines use:
# Docker's /run/docker/runtime-runc/moby, containerd's /run/containerd/runc (one dir per
# namespace), and an empty /run/bottle and /run/containerd (other tests' bottles stay out).
# The whole test runs in a private netns that plays the host, as docker_bottled.sh and
# containerd_bottled.sh do.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 unshare; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns opslogs "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_docker ops-logs
engine_dead_uplink
containerd_start
ctr_busybox_image
ct() { timeout 120 ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"; }
ct_exec() { local id=$1; shift; ct task exec --exec-id "x$BASHPID-$RANDOM" "$id" "$@"; }

# L ARGS...: `bottle ARGS...` (no --root) where the engines' roots are at their usual paths.
L() {
  unshare --mount --propagation private bash -c '
    set -e
    for d in /run/docker /run/containerd /run/bottle; do
      mkdir -p "$d" && mount -t tmpfs -o mode=0711 ops-logs "$d"
    done
    mkdir -p /run/docker/runtime-runc/moby /run/containerd/runc
    mount --bind "$1" /run/docker/runtime-runc/moby
    mount --bind "$2" /run/containerd/runc
    shift 2
    exec "$@"' L "$DOCKER_RUNTIME_ROOT" "$CTR_RUNTIME_ROOT" "$BOTTLE" "$@"
}
cleanup_ctr() { ct task kill -s SIGKILL "$1" >/dev/null 2>&1; ct task delete --force "$1" >/dev/null 2>&1; ct container delete "$1" >/dev/null 2>&1; }
engine_bottled_pre_cleanup() {
  [ -n "${follower:-}" ] && kill "$follower" 2>/dev/null
  for id in "${ctr_ids[@]}"; do cleanup_ctr "$id"; done
}

# Docker: two bottles, one named.
name=ops-web-$$
a=$(dkt run -d --runtime=bottle --dns "$IP" --name "$name" "$IMG" sleep 600) || fail "docker run -d a"
b=$(dkt run -d --runtime=bottle --dns "$IP" "$IMG" sleep 600) || fail "docker run -d b"
dkt exec "$a" wget -q -O- "http://blocked-a-$$.test/" >/dev/null 2>&1
check_eq "a: the allowed host answers" "hello from the test internet" \
  "$(dkt exec "$a" wget -q -O- http://example.test/ 2>&1)"
dkt exec "$b" wget -q -O- "http://blocked-b-$$.test/" >/dev/null 2>&1
# containerd (ctr): ids of our choosing, two of them sharing a prefix.
ctr_ids=("opsamb-$$-one" "opsamb-$$-two")
for id in "${ctr_ids[@]}"; do
  ct run -d --runc-binary "$ENGINE_RUNTIME_PATH" --runc-root "$CTR_RUNTIME_ROOT" "$ENGINE_CTR_IMAGE" \
    "$id" sleep 600 >/dev/null || fail "ctr run -d $id"
done
ct_exec "opsamb-$$-one" wget -q -O- "http://blocked-c-$$.test/" >/dev/null 2>&1

for q in "$a" "${a:0:12}" "$name" "/$name"; do
  out=$(L logs "$q" 2>&1)
  check_contains "docker: found by '$q', its block shown" "BLOCKED GET blocked-a-$$.test:80 (allowlist: " "$out"
  check_fails "docker: '$q' is not b" grep -q "blocked-b-$$" <<<"$out"
done
check_contains "docker b by short id" "BLOCKED GET blocked-b-$$.test:80" "$(L logs "${b:0:12}" 2>&1)"
check_contains "a 403 shows its status" "domain not in allowlist: blocked-a-$$.test, 403)" "$(L logs "$name" 2>&1)"
out=$(L logs "opsamb-$$-one" 2>&1)
check_contains "containerd: found by id" "BLOCKED GET blocked-c-$$.test:80" "$out"
check_contains "containerd: the unique prefix of the id" "BLOCKED GET blocked-c-$$.test:80" \
  "$(L logs "opsamb-$$-o" 2>&1)"

# --blocked and --json
out=$(L logs --blocked "$name" 2>&1)
check_contains "--blocked: the denial" "BLOCKED GET blocked-a-$$.test:80" "$out"
check_eq "--blocked: denials only" "" "$(grep -v '^BLOCKED ' <<<"$out")"
full=$(L logs "$name" 2>&1)
echo "$full"
check_contains "without --blocked: the allowed request too" "allowed GET example.test:80" "$full"
check_contains "without --blocked: the startup line" "startup " "$full"
out=$(L logs --json "$name" 2>&1)
check "--json: every line is one JSON object" python3 -c '
import json, sys
lines = sys.argv[1].splitlines()
assert lines and all(isinstance(json.loads(l), dict) for l in lines)' "$out"
check_contains "--json: the raw audit line" "\"target\":\"blocked-a-$$.test:80\"" "$out"
out=$(L logs --json --blocked "$name" 2>&1)
check_eq "--json --blocked: the one denial" 1 "$(grep -c '"event":"blocked"' <<<"$out")"
check_eq "--json --blocked: nothing else" 1 "$(wc -l <<<"$out")"
# A member of a's bottle (--network container:NAME): found by its own name, a's log shown.
m=$(dkt run -d --runtime=bottle --network "container:$name" --name "$name-m" "$IMG" sleep 600) ||
  fail "docker run -d member"
dkt exec "$m" wget -q -O- "http://blocked-m-$$.test/" >/dev/null 2>&1
out=$(L logs "$name-m" 2>&1)
check_contains "a member, by its name: its bottle's log, its own block" "BLOCKED GET blocked-m-$$.test:80" "$out"
check_contains "a member, by its name: the bottle's earlier block" "BLOCKED GET blocked-a-$$.test:80" "$out"
# bottle policy finds a container the same way (no --root, a Docker name).
out=$(L policy "$name" 2>&1)
check_contains "policy by Docker name, no --root: the allowlist with its origins" "example.test" "$out"
check_contains "policy by a member's name: the bottle's" "example.test" "$(L policy "$name-m" 2>&1)"

# Ambiguous and unknown: one line, non-zero.
out=$(L logs "opsamb-$$-" 2>&1)
rc=$?
check_fails "ambiguous prefix fails" test "$rc" = 0
check_eq "ambiguous: one line" 1 "$(wc -l <<<"$out")"
check_contains "ambiguous: names the candidates" "opsamb-$$-one ($CTR_RUNTIME_ROOT" "$(sed "s|/run/containerd/runc|$CTR_RUNTIME_ROOT|g" <<<"$out")"
check_contains "ambiguous: both" "opsamb-$$-two" "$out"
out=$(L logs "nosuch-$$" 2>&1)
rc=$?
check_fails "unknown fails" test "$rc" = 0
check_eq "unknown: one line" 1 "$(wc -l <<<"$out")"
check_contains "unknown: says what was searched" "no bottled container \"nosuch-$$\"" "$out"
check_contains "unknown: and where" "/run/docker/runtime-runc/moby" "$out"

# --root: that root only.
check_contains "--root docker's root: by name" "blocked-a-$$" "$("$BOTTLE" --root "$DOCKER_RUNTIME_ROOT" logs "$name" 2>&1)"
check_fails "--root containerd's root: docker's name is unknown there" \
  "$BOTTLE" --root "$CTR_RUNTIME_ROOT/$CTR_NS" logs "$name"

T_FOLLOW=$ENGINE_TMP/follow.out
# -f: a request made after it started shows up; it ends when the container is deleted.
L logs -f "$name" >"$T_FOLLOW" 2>&1 &
follower=$!
until grep -q "blocked-a-$$" "$T_FOLLOW" 2>/dev/null; do kill -0 "$follower" 2>/dev/null || break; sleep 0.1; done
dkt exec "$a" wget -q -O- "http://later-$$.test/" >/dev/null 2>&1
for _ in $(seq 100); do grep -q "later-$$" "$T_FOLLOW" && break; sleep 0.1; done
check_contains "-f: a later request shows up" "BLOCKED GET later-$$.test:80" "$(cat "$T_FOLLOW")"
check "-f: still following" kill -0 "$follower"
dkt rm -f "$a" >/dev/null
for _ in $(seq 100); do kill -0 "$follower" 2>/dev/null || break; sleep 0.1; done
check_fails "-f: ends once the container is deleted" kill -0 "$follower"
wait "$follower"
check_eq "-f: exits 0 then" 0 "$?"
follower=
check_eq "-f: every line once" 1 "$(grep -c "later-$$" "$T_FOLLOW")"
dkt rm -f "$b" >/dev/null
finish

#!/usr/bin/env bash
# `bottle logs NAME` and `bottle policy NAME` for podman's container names (podman 4.3): podman
# does not tell the runtime a name; bottle reads it from containers/storage's containers.json
# beside the bundle podman passed (<graphroot>/<driver>-containers/<id>/userdata), believed only
# when root owns it and nobody else may write it. A name is looked for without --root, in
# /run/bottle where podman's bottles live, and follows Docker's rules: an exact id, then a name,
# then a unique id prefix; a name two containers carry and an unknown name fail with one line.
#
# Two podman storages (podman --root) stand for two engines, each with a container of the same
# name. The whole test runs in a private netns that plays the host, as podman_bottled.sh does.
. "$(dirname "$0")/../tests/lib.sh"
need_root
command -v podman >/dev/null || skip "needs podman (make test installs it)"
for t in ip nsenter nft busybox python3 iptables; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns pdlogs "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_init ops-logs-podman
# shellcheck source=integration/podman.lib.sh
. "$BOTTLE_TOP/integration/podman.lib.sh"
podman_setup
engines_busybox_rootfs "$T/rootfs"
IMG=(--rootfs "$T/rootfs")

# The second storage: its own --root and --runroot, the same network and bottle config.
T2=$ENGINE_TMP/two
mkdir -p "$T2"
cp -r "$T/cni" "$T/bottle.json" "$T2/"
prun2() { T=$T2 prun "$@"; }
eval "podman_pre_cleanup() $(declare -f engine_bottled_pre_cleanup | tail -n +2)"
engine_bottled_pre_cleanup() {
  T=$T2 pd rm -a -f >/dev/null 2>&1
  T=$T2 pd system reset -f >/dev/null 2>&1
  podman_pre_cleanup
}

# fails_in_one_line WHAT ARGS...: `bottle ARGS...` (no --root) fails with one line, left in $out.
fails_in_one_line() {
  local what=$1
  shift
  out=$("$BOTTLE" "$@" 2>&1)
  check_fails "$what fails" test "$?" = 0
  check_eq "$what: one line" 1 "$(wc -l <<<"$out")"
}

name=opslogs-web-$$
a=$(prun -d --name "$name" "${IMG[@]}" sleep 600) || fail "podman run -d --name $name"
pd exec "$a" wget -q -O- "http://blocked-a-$$.test/" >/dev/null 2>&1
check_eq "a: the allowed host answers" "hello from the test internet" \
  "$(pd exec "$a" wget -q -O- http://example.test/ 2>&1)"

out=$("$BOTTLE" logs "$name" 2>&1)
check_contains "logs by podman name, no --root: its block" "BLOCKED GET blocked-a-$$.test:80 (allowlist: " "$out"
check_contains "logs by podman name: the allowed request too" "allowed GET example.test:80" "$out"
check_contains "logs by podman name, --root /run/bottle" "BLOCKED GET blocked-a-$$.test:80" \
  "$("$BOTTLE" --root /run/bottle logs "$name" 2>&1)"
check_contains "policy by podman name: the allowlist" "example.test" "$("$BOTTLE" policy "$name" 2>&1)"

# A name that is also another container's id prefix names that container, as in Docker and podman.
short=${a:0:12}
c=$(prun -d --name "$short" "${IMG[@]}" sleep 600) || fail "podman run -d --name $short"
pd exec "$c" wget -q -O- "http://blocked-c-$$.test/" >/dev/null 2>&1
out=$("$BOTTLE" logs "$short" 2>&1)
check_contains "a name before an id prefix: the named container's log" "BLOCKED GET blocked-c-$$.test:80" "$out"
check_fails "a name before an id prefix: not the prefix's" grep -q "blocked-a-$$" <<<"$out"

# The same name in the other storage: ambiguous, one line naming both.
b=$(prun2 -d --name "$name" "${IMG[@]}" sleep 600) || fail "podman --root two run -d --name $name"
fails_in_one_line "a name two containers carry" logs "$name"
check_contains "ambiguous name: names the first" "$a $name (/run/bottle)" "$out"
check_contains "ambiguous name: and the second" "$b $name (/run/bottle)" "$out"
fails_in_one_line "ambiguous name: policy" policy "$name"

# A containers.json that others may write is not believed: the name is the first storage's again.
json2=$T2/storage/overlay-containers/containers.json
check "the second storage keeps its names in containers.json" grep -q "\"$name\"" "$json2"
chmod g+w "$json2"
check_contains "a group-writable containers.json is ignored" "BLOCKED GET blocked-a-$$.test:80" \
  "$("$BOTTLE" logs "$name" 2>&1)"
chmod g-w "$json2"
T=$T2 pd rm -f -t 0 "$b" >/dev/null

fails_in_one_line "an unknown name" logs "nosuch-$$"
check_contains "unknown name: says what was searched" "no bottled container \"nosuch-$$\" (by id, id prefix, Docker or podman name)" "$out"
check_contains "unknown name: and where" "/run/bottle" "$out"

pd rm -f -t 0 "$a" "$c" >/dev/null
check_fails "a removed container's name is unknown" "$BOTTLE" logs "$name"
finish

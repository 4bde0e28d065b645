#!/usr/bin/env bash
# Issue 10, "optional libraries as a table": bottle links neither libnl-route-3 nor libnftables;
# netns/optional_libs.c loads each, whole, when a bottled network first needs it. Here the
# runtime cannot load libnftables (an empty file bind-mounted over it, in a private mount
# namespace of that one bottle command): a bottled create fails before it makes anything, with
# one line that carries the loader's own message; a start fails at the gate the same way and the
# agent's first instruction does not run; a delete fails in the runtime's netns child (whose
# stdio is /dev/null) with that message and keeps the network's record, and a delete with the
# library back removes everything.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup libs
lib=$(ldconfig -p | awk '/libnftables\.so\.1 /{print $NF; exit}')
[ -n "$lib" ] || skip "libnftables.so.1 is not installed"
check_fails "bottle does not link libnftables" bash -c "readelf -d '$BOTTLE' | grep -q 'NEEDED.*libnftables'"
check_fails "bottle does not link libnl" bash -c "readelf -d '$BOTTLE' | grep -q 'NEEDED.*libnl'"
: >"$BT/empty"
# bt_nonft ARGS...: bt, unable to load libnftables
bt_nonft() {
  bt_host unshare --mount --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
    sh "$BT/empty" "$lib" "$BOTTLE" --root "$BT_ROOT" --config "${BT_CONFIG_FILE:-$BT_CONF}" "$@"
}
bottled_agent "$BT/agent" sh -c 'echo ran >/ran; exec sleep 600'
before=$(bt_snapshot)

id=libs-create-$$
bt_track "$id"
out=$(bt_nonft create --bundle "$BT/agent" "$id" 2>&1 </dev/null)
check "create without libnftables fails" test $? -ne 0
echo "create: $out"
check_contains "create: names the library and its package" \
  "cannot load libnftables.so.1 (Debian package libnftables1)" "$out"
check_contains "create: with the loader's own message" "file too short" "$out"
check_eq "create: one line" 1 "$(grep -c . <<<"$out")"
check_fails "create: no state" bt state "$id"
check_same "create: host as before" "$before" "$(settle bt_snapshot "$before")"

id=libs-start-$$
bt_track "$id"
rm -f "$BT/agent/rootfs/ran"
check "create" bt create --bundle "$BT/agent" "$id"
out=$(bt_nonft start "$id" 2>&1 </dev/null)
check "start without libnftables fails" test $? -ne 0
echo "start: $out"
check_contains "start: the gate names the library" "start gate: cannot load libnftables.so.1" "$out"
check_eq "start: one line" 1 "$(grep -c . <<<"$out")"
check_fails "start: the agent's first instruction did not run" test -e "$BT/agent/rootfs/ran"
check_contains "start: the container stays created" '"status": "created"' "$(bt state "$id")"

out=$(bt_nonft delete --force "$id" 2>&1 </dev/null)
check "delete without libnftables fails" test $? -ne 0
echo "delete: $out"
check_contains "delete: the netns child's message names the library" \
  "cannot load libnftables.so.1 (Debian package libnftables1)" "$out"
check "delete: the network's record stays" test -e "/run/bottle/netns-state/$(bt_netns_name "$id").rec"
check "delete with libnftables" bt delete --force "$id"
check_same "delete: host as before" "$before" "$(settle bt_snapshot "$before")"
finish

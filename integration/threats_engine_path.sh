#!/usr/bin/env bash
# A bottled container's network path names the engine's netns, where bottle puts the sidecar.
# bottle judges that path (not /proc, not bottle's own, not the host's netns); the build must then
# use the namespace it judged, not whatever the path names by the time the build opens it. A
# symlink (in a directory the bundle's author writes) is swapped between an engine netns and the
# runtime's own while bottled containers are made: each create is refused, saying why, or its
# sidecar runs in the engine netns; none may run in the runtime's own (host) netns.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup tengpath
ENG=tengpath-eng-$$
ip netns add "$ENG" || fail "ip netns add $ENG"
flipper=
eng_cleanup() {
  [ -n "$flipper" ] && kill "$flipper" 2>/dev/null
  bottled_cleanup
  ip netns del "$ENG" 2>/dev/null
}
trap eng_cleanup EXIT
ip netns exec "$ENG" ip link set lo up
# The runtime's own netns as an ordinary path (as a bind-mounted engine netns looks): the
# private host netns of this test, which bottle must refuse as the host's.
HOST_PATH=/run/netns/$BT_HOST
check "the runtime's own netns has a path" test -e "$HOST_PATH"
bottled_agent "$BT/agent" sleep 600
bundle_edit "$BT/agent" "
ns = [n for n in c['linux']['namespaces'] if n['type'] != 'network']
ns.append({'type': 'network', 'path': '$BT/eng-link'})
c['linux']['namespaces'] = ns"
eng_id=$(ip netns exec "$ENG" readlink /proc/self/ns/net)
host_id=$(bt_host readlink /proc/self/ns/net)

# Control: the engine netns straight through the link, and the host's refused.
ln -s "/run/netns/$ENG" "$BT/eng-link"
id=teng-ok-$$
bt_track "$id"
check "engine netns through a link: create" bt create --bundle "$BT/agent" "$id"
check_eq "engine netns through a link: the sidecar runs there" "$eng_id" \
  "$(readlink "/proc/$(bt_sidecar_pid "$id")/ns/net" 2>/dev/null)"
check "delete it" bt delete --force "$id"
ln -sfn "$HOST_PATH" "$BT/eng-link"
bt_track "teng-host-$$"
bt create --bundle "$BT/agent" "teng-host-$$" >"$BT/create.out" 2>&1
check_contains "the host's netns through a link: refused" "host's network namespace" "$(cat "$BT/create.out")"

bt_flip_link "$BT/eng-link" "/run/netns/$ENG" "$HOST_PATH"
flipper=$BT_FLIPPER
made=0 in_host=0 odd=0
for n in $(seq 10); do
  id=teng-$n-$$
  bt_track "$id"
  # to a file: a created container's init holds the create's stdout until it starts
  if bt create --bundle "$BT/agent" "$id" >"$BT/create.out" 2>&1; then
    made=$((made + 1))
    where=$(readlink "/proc/$(bt_sidecar_pid "$id")/ns/net" 2>/dev/null)
    [ "$where" = "$host_id" ] && in_host=$((in_host + 1))
    [ "$where" = "$eng_id" ] || echo "# $id: sidecar in $where (engine $eng_id, host $host_id)"
  elif ! grep -qE "host's network namespace|not the namespace that was judged" "$BT/create.out"; then
    odd=$((odd + 1))
    echo "# $id refused otherwise: $(cat "$BT/create.out")"
  fi
  bt delete --force "$id" >/dev/null 2>&1
done
kill "$flipper"
wait "$flipper" 2>/dev/null
flipper=
echo "# made $made of 10 through the swapped link"
check_eq "a link swapped after the check: no sidecar in the runtime's own netns" 0 "$in_host"
check_eq "a link swapped after the check: a refused create says the path was the host's or changed" \
  0 "$odd"
finish

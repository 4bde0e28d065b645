#!/usr/bin/env bash
# Issue 13: a host whose /etc/resolv.conf names only a loopback stub (systemd-resolved's
# 127.0.0.53, dnsmasq on 127.0.0.1). An own-uplink sidecar cannot reach a stub on the host's
# loopback from its netns; bottle takes the upstream servers systemd-resolved lists in
# /run/systemd/resolve/resolv.conf, as dockerd does, and never writes a loopback resolver into the
# sidecar's resolv.conf. Without that file and without network.dns, create fails in one line
# naming network.dns and leaves nothing.
# The whole test runs in a mount namespace of its own (re-executed under unshare): the stub's
# resolv.conf is bound over /etc/resolv.conf and /run/systemd is a private tmpfs there only.
if [ -z "${OPS2_DNS_UNSHARED:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
  OPS2_DNS_UNSHARED=1 exec unshare -m --propagation slave "$0" "$@"
fi
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup dnsstub
A=dnsstub-a-$$ B=dnsstub-b-$$
bt_track "$A" "$B"
bottled_config "$BT/nodns.json" 'del c["network"]["dns"]'
bottled_agent "$BT/agent" sleep 600

printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch stub.test\n' >"$BT/stub-resolv.conf"
mount --bind "$BT/stub-resolv.conf" /etc/resolv.conf || exit 1
mkdir -p /run/systemd
mount -t tmpfs -o mode=755 ops2-systemd /run/systemd || exit 1
mkdir /run/systemd/resolve
printf 'nameserver 127.0.0.1\nnameserver %s\nsearch stub.test\n' "$INTERNET_IP" \
  >/run/systemd/resolve/resolv.conf
# Undone before bottled_cleanup (which the EXIT trap runs) so that BT can be removed.
ops2_cleanup() {
  umount /etc/resolv.conf 2>/dev/null
  umount /run/systemd 2>/dev/null
  bottled_cleanup
}
trap ops2_cleanup EXIT
before=$(bt_snapshot)

# shellcheck disable=SC2034 # bt (bottled.lib.sh) reads it
BT_CONFIG_FILE=$BT/nodns.json
check "create with only a loopback stub in /etc/resolv.conf" bt create --bundle "$BT/agent" "$A"
check_eq "the sidecar's resolv.conf has the upstream server only" \
  "nameserver $INTERNET_IP
search stub.test" "$(cat "$BT_ROOT/.bottle/$A/fs/merged/etc/resolv.conf" 2>&1)"
check "start" bt start "$A"
check_contains "the allowed host resolves through the upstream and answers" \
  "hello from the test internet" "$(bt exec "$A" wget -q -O- http://example.test/ 2>&1)"
check_contains "the test DNS answered the sidecar's lookup" example.test "$(cat "$INTERNET_DNS_COUNT")"
check "delete" bt delete --force "$A"

# No upstream file: nothing the sidecar can reach.
rm /run/systemd/resolve/resolv.conf
out=$(bt create --bundle "$BT/agent" "$B" 2>&1)
rc=$?
echo "$out"
check_fails "without systemd-resolved's upstream list: create fails" test "$rc" = 0
check_eq "one line" 1 "$(wc -l <<<"$out")"
check_contains "it names network.dns" "network.dns" "$out"
check_contains "it names both files it read" "/run/systemd/resolve/resolv.conf" "$out"
# An upstream list of loopback servers only is no better.
printf 'nameserver 127.0.0.1\nnameserver ::1\n' >/run/systemd/resolve/resolv.conf
out=$(bt create --bundle "$BT/agent" "$B" 2>&1)
rc=$?
echo "$out"
check_fails "loopback-only upstream list: create fails" test "$rc" = 0
check_contains "it names network.dns" "network.dns" "$out"
unset BT_CONFIG_FILE
check_eq "nothing left" "$before" "$(settle bt_snapshot "$before")"
finish

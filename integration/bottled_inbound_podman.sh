#!/usr/bin/env bash
# Issue 11, inbound under podman 4.3 (CNI): `podman run -p 127.0.0.1:18080:8080 --runtime bottle`
# serves the agent's page to the host's loopback as runc does (CNI's portmap DNATs to the
# container's address, which belongs to the sidecar's netns, podman's: bottle forwards it to the
# agent); with bottle.json network.inbound "none" the same run gets no page, and the agent
# still has no way out (direct connection ENETUNREACH; the proxy path works).
#
# The whole test runs in a private network namespace that plays the host (it re-executes itself
# there): podman's CNI bridge (integration/podman.lib.sh's network, plus the portmap plugin that
# publishes ports), the test internet and every bottle link live there. The reference is a plain
# container (annotation bottle.mode=plain: the runtime core, as runc).
. "$(dirname "$0")/../tests/lib.sh"
need_root
command -v podman >/dev/null || skip "needs podman (make test installs it)"
for t in ip nsenter nft busybox python3 iptables curl; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns pdinbound "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_init podman-inbound
# shellcheck source=integration/podman.lib.sh
. "$BOTTLE_TOP/integration/podman.lib.sh"
podman_setup
[ -x /usr/lib/cni/portmap ] || skip "needs the CNI portmap plugin (podman -p)"
python3 - "$T/cni/bottletest.conflist" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["plugins"].append({"type": "portmap", "capabilities": {"portMappings": True}})
json.dump(c, open(sys.argv[1], "w"))
PY
# The reference runs plain (what the runtime core does, as runc), asked by annotation.
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["trust"] = {"annotations": {"plain": True}}
json.dump(c, open(sys.argv[1], "w"))' "$T/bottle.json"
engines_busybox_rootfs "$T/rootfs"
IMG=(--rootfs "$T/rootfs")
. "$BOTTLE_TOP/integration/inbound.lib.sh"
inbound() { set_inbound "$T/bottle.json" "$1"; }

PLAIN=(--annotation bottle.mode=plain)
# A first published port: CNI's portmap makes its chains, which stay (empty) after.
out=$(prun --rm "${PLAIN[@]}" -p 127.0.0.1:18083:8080 "${IMG[@]}" true 2>&1)
check_eq "podman's network is up" "" "$out"
before=$(snapshot)

r=$(prun -d "${PLAIN[@]}" -p 127.0.0.1:18081:8080 "${IMG[@]}" sh -c "$SERVE" plain) ||
  fail "podman run -d plain"
check "plain (as runc): podman run -p serves the page on the host's loopback" \
  wait_page 18081 "agent plain"

b=$(prun -d -p 127.0.0.1:18080:8080 "${IMG[@]}" sh -c "$SERVE" bottle) || fail "podman run -d (bottle)"
track "$b"
check "bottle: podman run -p serves the agent's page on the host's loopback" \
  wait_page 18080 "agent bottle"
check_contains "bottle: the agent's direct connection still fails at once" "Network is unreachable" \
  "$(pd exec "$b" nc -w 2 "$IP" 80 </dev/null 2>&1)"
check_eq "bottle: the proxy path still works" "hello from the test internet" \
  "$(pd exec "$b" wget -q -O- http://example.test/ 2>&1)"
pd rm -f -t 0 "$b" >/dev/null
pd rm -f -t 0 "$r" >/dev/null

inbound none
n=$(prun -d -p 127.0.0.1:18082:8080 "${IMG[@]}" sh -c "$SERVE" closed) ||
  fail "podman run -d (bottle, inbound none)"
track "$n"
check_eq "inbound none: the agent serves inside" "agent closed" \
  "$(pd exec "$n" wget -Y off -q -O- http://127.0.0.1:8080/ 2>&1)"
out=$(page 18082)
check_fails "inbound none: podman run -p gets no page ($out)" test "$out" = "agent closed"
pd rm -f -t 0 "$n" >/dev/null
left_behind "podman run -p"
finish

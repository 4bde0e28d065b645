#!/usr/bin/env bash
# Issue 11, inbound under dockerd 20.10: `docker run -p 127.0.0.1:18080:8080 --runtime=bottle`
# serves the agent's page to the host's loopback as runc does (docker-proxy connects to the
# container's address, which belongs to the sidecar's netns: bottle forwards it to the agent);
# with bottle.json network.inbound "none" the same run gets no page, and the agent still has no
# way out (its direct connection is ENETUNREACH; the proxy path works).
#
# The whole test runs in a private network namespace that plays the host (it re-executes itself
# there), with a private dockerd (integration/engine_bottled.lib.sh) without iptables: the port
# is published by docker-proxy on this netns's loopback.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock curl; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns dbinbound "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_docker docker-inbound
command -v docker-proxy >/dev/null || [ -x /usr/libexec/docker/docker-proxy ] ||
  skip "needs docker-proxy (docker -p)"
. "$BOTTLE_TOP/integration/inbound.lib.sh"
inbound() { set_inbound "$ENGINE_TMP/bottle.json" "$1"; }

before=$(snapshot)

r=$(dk run -d --runtime=runc-ref -p 127.0.0.1:18081:8080 "$IMG" sh -c "$SERVE" runc) ||
  fail "docker run -d runc"
check "runc: docker run -p serves the page on the host's loopback" wait_page 18081 "agent runc"

b=$(dk run -d --runtime=bottle --dns "$IP" -p 127.0.0.1:18080:8080 "$IMG" sh -c "$SERVE" bottle) ||
  fail "docker run -d --runtime=bottle"
track "$b"
check "bottle: docker run -p serves the agent's page on the host's loopback" wait_page 18080 "agent bottle"
check_eq "bottle: ... every time" "agent bottle" "$(page 18080)"
check_contains "bottle: the agent's direct connection still fails at once" "Network is unreachable" \
  "$(dk exec "$b" nc -w 2 "$IP" 80 </dev/null 2>&1)"
check_eq "bottle: the proxy path still works" "hello from the test internet" \
  "$(dk exec "$b" wget -q -O- http://example.test/ 2>&1)"
dk rm -f "$b" >/dev/null
dk rm -f "$r" >/dev/null

inbound none
n=$(dk run -d --runtime=bottle --dns "$IP" -p 127.0.0.1:18082:8080 "$IMG" sh -c "$SERVE" closed) ||
  fail "docker run -d --runtime=bottle (inbound none)"
track "$n"
check_eq "inbound none: the agent serves inside" "agent closed" \
  "$(dk exec "$n" wget -Y off -q -O- http://127.0.0.1:8080/ 2>&1)"
out=$(page 18082)
check_fails "inbound none: docker run -p gets no page ($out)" test "$out" = "agent closed"
dk rm -f "$n" >/dev/null
left_behind "docker run -p"
finish

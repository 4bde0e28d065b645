#!/usr/bin/env bash
# Issue 11 under Docker 20.10: `docker run --network container:X` with X a bottled container
# joins X's bottle (refused before: "joins another process's network namespace"). Two joined
# containers run beside X: they reach a server of X's on localhost, hold the proxy env and the
# agent's hardening (no CAP_NET_RAW, the seccomp layer), reach the allowed host through X's proxy
# and get 403 for another, and a direct connection fails at once; there is one sidecar; removing
# a joined container leaves X's bottle working; removing X leaves nothing behind.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns dbpod "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_docker docker-pod
brun() { dk run --runtime=bottle --dns "$IP" "$@"; }
capeff_net() { local v=$((16#$1)); echo "raw=$(((v >> 13) & 1)) admin=$(((v >> 12) & 1))"; }

before=$(snapshot)

x=$(brun -d "$IMG" sh -c 'mkdir -p /www && echo "hello from x" >/www/index.html && exec httpd -f -p 8080 -h /www') ||
  fail "docker run -d x"
track "$x"
proxy=$(dk exec "$x" sh -c 'echo "$HTTP_PROXY"')
check_contains "x: bottled, with the proxy env" "http://" "$proxy"
filters=$(dk exec "$x" awk '/^Seccomp_filters/ {print $2}' /proc/self/status)
j1=$(dk run --runtime=bottle -d --network "container:$x" --cap-add NET_RAW "$IMG" sleep 600) || fail "docker run --network container:x (1)"
j2=$(dk run --runtime=bottle -d --network "container:$x" "$IMG" sleep 600) || fail "docker run --network container:x (2)"
check_eq "joined 1 runs" running "$(dk inspect -f '{{.State.Status}}' "$j1" 2>&1)"
check_eq "joined 2 runs" running "$(dk inspect -f '{{.State.Status}}' "$j2" 2>&1)"
check_eq "one sidecar: one bottle under the root" "$x" "$(ls "$ROOT/.bottle")"
for k in 1 2; do
  j=$(eval echo "\$j$k")
  check_eq "joined $k: in x's netns" "$(dk exec "$x" stat -L -c %i /proc/self/ns/net)" \
    "$(dk exec "$j" stat -L -c %i /proc/self/ns/net)"
  check_contains "joined $k: reaches x's server on localhost" "hello from x" \
    "$(dk exec "$j" wget -Y off -q -O- http://127.0.0.1:8080/ 2>&1)"
  check_eq "joined $k: its process holds x's proxy env" "HTTP_PROXY=$proxy" \
    "$(dk exec "$j" sh -c 'tr "\0" "\n" </proc/1/environ | grep ^HTTP_PROXY=')"
  check_eq "joined $k: no CAP_NET_RAW/CAP_NET_ADMIN (even with --cap-add NET_RAW)" "raw=0 admin=0" \
    "$(capeff_net "$(dk exec "$j" awk '/CapEff/ {print $2}' /proc/1/status)")"
  check_eq "joined $k: the bottle's seccomp layer, as x's" "$filters" \
    "$(dk exec "$j" awk '/^Seccomp_filters/ {print $2}' /proc/1/status)"
  check_contains "joined $k: allowed host through the proxy" "hello from the test internet" \
    "$(dk exec "$j" wget -q -O- http://example.test/ 2>&1)"
  check_contains "joined $k: other host 403" "403" "$(dk exec "$j" wget -q -O- "http://blocked-$$.test/" 2>&1)"
  check_contains "joined $k: direct connection fails at once" "Network is unreachable" \
    "$(dk exec "$j" nc -w 2 "$IP" 80 </dev/null 2>&1)"
done
check "filters: x has the seccomp layer" test "${filters:-0}" -ge 1
check_contains "x's sidecar log has the joined containers' requests" "blocked-$$.test" "$(B logs "$x" 2>&1)"
dk rm -f "$j1" >/dev/null
check_eq "after joined 1's removal: x runs" running "$(dk inspect -f '{{.State.Status}}' "$x")"
check_contains "after joined 1's removal: joined 2 still reaches the allowed host" \
  "hello from the test internet" "$(dk exec "$j2" wget -q -O- http://example.test/ 2>&1)"
dk rm -f "$j2" >/dev/null
dk rm -f "$x" >/dev/null
left_behind "x and its joined containers"
finish

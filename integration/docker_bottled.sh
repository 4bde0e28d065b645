#!/usr/bin/env bash
# Issue 5, Done when 1-2 for `docker run --runtime=bottle` (dockerd 20.10, bottled mode, the
# pipelock test double as sidecar): dockerd configures the sidecar's netns (its
# libnetwork-setkey prestart hook runs against a bottle process that holds that netns while the
# sidecar is made), the agent sits in a private netns whose only peer is the proxy.
#
# The whole test runs in a private network namespace that plays the host (it re-executes
# itself there): dockerd, its bridge btbr<pid> (ENGINE_DOCKER_BRIDGE_CIDR, TEST-NET-3), the
# test internet (TEST-NET-2, HTTP + counting DNS) and every bottle link live there, so the
# real host's routing, nftables and sysctls are never touched and snapshots are exact. dockerd
# runs without iptables: the sidecar's packets are routed (bridge -> internet veth, with
# per-interface forwarding on the bridge) and the internet netns routes the bridge subnet back
# to the host end, so no NAT is needed. `docker run --dns <test DNS>` makes Docker's
# resolv.conf for the container name the test DNS; bottle copies it into the sidecar.
#
# --network none gives a bottled agent whose sidecar has no upstream: Docker still makes a new
# netns and runs its prestart hook, so the bottle is built as usual (engine netns, hook mode),
# but that netns holds only lo (and our agent link). Every request fails at the proxy: an
# allowlisted host gets pipelock's 403 "SSRF check failed: DNS resolution error" (its
# resolver has no route), a blocked one the allowlist 403, and nothing leaves (no DNS query
# reaches any server). --network host (a path to dockerd's own netns in 20.10) is refused at
# create with the reason.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns dbhost "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_docker docker-bottled
brun() { dk run --runtime=bottle --dns "$IP" "$@"; }

before=$(snapshot)

# 1. One agent makes every probe as its main process (docker run --rm).
out=$(dkt run --rm --runtime=bottle --dns "$IP" --name "dkb-probe-$$" "$IMG" sh -c "$(agent_probe)" 2>&1)
check_agent_probe "docker run --rm" "$?" "$out"
left_behind "docker run --rm"

# 2. Two bottles at once (docker run -d): exec, logs, isolation, then stop and rm -f.
a=$(brun -d "$IMG" sleep 600) || fail "docker run -d a"
b=$(brun -d "$IMG" sleep 600) || fail "docker run -d b"
track "$a"
track "$b"
check_bottle_exec "docker exec" "$a" "engine netns (prestart hook)" dk exec
dk exec "$a" wget -q -O- "http://only-a-$$.test/" >/dev/null 2>&1
logs=$(B logs "$a" 2>&1)
check_contains "bottle logs: the blocked request is marked BLOCKED" "BLOCKED GET only-a-$$.test:80" "$logs"
check_fails "bottle logs of b: not there" grep -q "only-a-$$" <<<"$(B logs "$b" 2>&1)"
check_fails "the agents' netns differ" test "$(dk exec "$a" stat -L -c %i /proc/self/ns/net)" = \
  "$(dk exec "$b" stat -L -c %i /proc/self/ns/net)"
# Docker gave each sidecar a bridge address; B's sidecar (and its proxy port) is not
# reachable from A, neither directly nor through A's proxy, nor from A's sidecar netns.
b_pid=$(sidecar_pid "$b")
b_ip=$(nsenter --net="/proc/$b_pid/ns/net" ip -4 -o addr show eth0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
check_contains "b's sidecar has a Docker bridge address" "203.0.113." "$b_ip"
out=$(dk exec "$a" nc -w 2 "$b_ip" 8888 </dev/null 2>&1)
check_contains "A -> B's sidecar $b_ip:8888 directly: unreachable" "Network is unreachable" "$out"
out=$(dk exec "$a" wget -q -O- "http://$b_ip:8888/health" 2>&1)
check_contains "A -> B's sidecar through A's proxy: 403" "403 Forbidden" "$out"
a_pid=$(sidecar_pid "$a")
check_fails "A's sidecar netns cannot open B's proxy at $b_ip:8888" \
  nsenter --net="/proc/$a_pid/ns/net" busybox nc -w 2 "$b_ip" 8888 </dev/null
check_eq "control: B reaches the allowed host" "hello from the test internet" \
  "$(dk exec "$b" wget -q -O- http://example.test/ 2>&1)"
dk stop -t 1 "$a" >/dev/null
check_eq "docker stop: container exited" exited "$(dk inspect -f '{{.State.Status}}' "$a")"
check_fails "docker stop: bottle has no state for a" test -e "$ROOT/.bottle/$a"
dk rm -f "$b" >/dev/null
dk rm -f "$a" >/dev/null
left_behind "docker stop + docker rm -f"

# 3. --network none: the bottle is built, its sidecar has no upstream, so pipelock cannot
# resolve the allowed name either: its SSRF check answers 403 "DNS resolution error".
dns_before=$(internet_dns_count)
n=$(brun -d --network none "$IMG" sleep 600)
track "$n"
check_contains "--network none: bottled, hook mode" "engine netns (prestart hook)" \
  "$(cat "$ROOT/.bottle/$n/record.json" 2>&1)"
sns=/proc/$(sidecar_pid "$n")/ns/net
check_eq "--network none: the sidecar's netns has lo and the agent link only" "btla lo" \
  "$(nsenter --net="$sns" ip -o link show | awk '{sub(/@.*/, "", $2); sub(/:$/, "", $2); print substr($2, 1, 4)}' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "--network none: the sidecar has no default route" "" "$(nsenter --net="$sns" ip -4 route show default)"
out=$(dk exec "$n" sh -c "wget -q -O- http://example.test/ 2>&1; echo wget-allowed=\$?; wget -q -O- http://blocked.test/ 2>&1; echo wget-blocked=\$?; nc -w 2 $IP 80 </dev/null 2>&1; echo nc=\$?" 2>&1)
echo "$out"
check_contains "--network none: allowed host fails with a proxy error" "wget-allowed=1" "$out"
check_contains "--network none: the proxy says why" "DNS resolution error for example.test" "$(B logs "$n" 2>&1)"
check_contains "--network none: other host 403" "403 Forbidden" "$(sed -n '/wget-allowed/,/wget-blocked/p' <<<"$out")"
check_contains "--network none: direct TCP unreachable" "Network is unreachable" "$out"
check_eq "--network none: no DNS query reached the test DNS" "$dns_before" "$(internet_dns_count)"
dk rm -f "$n" >/dev/null
left_behind "--network none"

# 4. --network host refused with the reason (--network container:X of a bottled X joins X's
# bottle: integration/bottled_pod_docker.sh).
out=$(dkt run --rm --runtime=bottle --network host "$IMG" true 2>&1)
check_fails "--network host fails" test $? -eq 0
check_contains "--network host: the error says why" "host networking" "$out"
left_behind "refused networks"
# 5. docker restart rebuilds the bottle under the same id; a SIGKILLed shim, then docker rm -f.
r=$(brun -d "$IMG" sleep 600)
track "$r"
dk restart -t 1 "$r" >/dev/null
check_eq "docker restart: the agent is running again" running "$(dk inspect -f '{{.State.Status}}' "$r")"
check_eq "docker restart: the bottle works again" "hello from the test internet" \
  "$(dk exec "$r" wget -q -O- http://example.test/ 2>&1)"
shim=""
for p in /proc/[0-9]*; do
  if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "containerd-shim-runc-v2 .*-id $r"; then shim=${p#/proc/}; fi
done
check "found the shim of the restarted container" test -n "$shim"
[ -n "$shim" ] && kill -KILL "$shim"
for _ in $(seq 100); do [ "$(dk inspect -f '{{.State.Status}}' "$r")" = running ] || break; sleep 0.1; done
dk rm -f "$r" >/dev/null
check_fails "after a SIGKILLed shim and docker rm -f: no state for the bottle" test -e "$ROOT/.bottle/$r"
left_behind "docker restart, killed shim, docker rm -f"
engines_check_no_leftover_cgroups
finish

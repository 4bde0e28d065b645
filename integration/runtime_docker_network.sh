#!/usr/bin/env bash
# Docker's libnetwork-setkey prestart hook under bottle (runc-cli.md §9.4):
# with a private TEST-NET bridge, dockerd configures the container's veth from
# inside that hook, which only works when the hook gets argv[0] from args, the
# state on stdin with EOF, the init's host pid, and runs before create returns.
# ENGINE_RUNTIME_PATH=/usr/sbin/runc proves the test itself.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/engines.lib.sh"
need_root
export ENGINE_DOCKER_BRIDGE_CIDR=${ENGINE_DOCKER_BRIDGE_CIDR:-192.0.2.129/25}
engines_init rt-docker-net
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE

out=$(dk run --rm --runtime=bottle "$IMG" sh -c 'ip -4 addr show eth0; ip route' 2>&1)
check_contains "the container got its veth (setkey hook ran)" "inet 192.0.2." "$out"
check_contains "default route via the bridge" "default via 192.0.2.129" "$out"
out=$(dk run --rm --runtime=bottle "$IMG" ping -c 1 -W 2 192.0.2.129 2>&1)
check_contains "the bridge address answers from inside" "1 packets received" "$out"
id=$(dk run -d --runtime=bottle "$IMG" sleep 100)
check_contains "exec sees the same network" "inet 192.0.2." "$(dk exec "$id" ip -4 addr show eth0)"
dk restart -t 1 "$id" >/dev/null
check_eq "restart" 0 "$?"
check_contains "network after restart" "inet 192.0.2." "$(dk exec "$id" ip -4 addr show eth0)"
dk rm -f "$id" >/dev/null
check_eq "rm -f" 0 "$?"
finish

#!/usr/bin/env bash
# Issue 9, item 3 under Docker 20.10: `docker run --pid host` (no pid namespace in config.json:
# the host's) and `--pid container:X` (a pid path: another container's) give a bottled agent
# a view of processes that are not its own, its sidecar's among them, whose memory a root agent
# could write through /proc/<pid>/mem. Both are refused at create with one line naming
# linux.namespaces, and nothing is left; a bottled container of its own pid namespace runs.
# Shape and private host netns as integration/docker_bottled.sh.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns dphost "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_init docker-pidns
export ENGINE_DOCKER_BRIDGE_CIDR=203.0.113.1/24
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE
ROOT=$DOCKER_RUNTIME_ROOT
dkt() { timeout 120 "$ENGINE_DOCKER_BIN" -H "unix://$DOCKER_HOST_SOCK" "$@" 2> >(grep -v 'IPv4 forwarding is disabled' >&2); }

before=$(snapshot)
check_eq "control: a bottled container of its own pid namespace runs" ok \
  "$(dkt run --rm --runtime=bottle "$IMG" sh -c 'echo ok' 2>&1)"
left_behind "control"

out=$(dkt run --rm --runtime=bottle --pid host "$IMG" sh -c 'echo ran' 2>&1)
echo "--pid host: $out"
check_fails "--pid host: the agent never ran" grep -q '^ran$' <<<"$out"
check_contains "--pid host: refused naming linux.namespaces and why" \
  "linux.namespaces: a bottled container needs its own pid namespace" "$out"
left_behind "--pid host"

c=$(dkt run -d --runtime=runc "$IMG" sleep 600)
out=$(dkt run --rm --runtime=bottle --pid "container:$c" "$IMG" sh -c 'echo ran' 2>&1)
echo "--pid container: $out"
check_fails "--pid container: the agent never ran" grep -q '^ran$' <<<"$out"
check_contains "--pid container: refused naming linux.namespaces and why" \
  "linux.namespaces: pid path /proc/" "$out"
dkt rm -f "$c" >/dev/null
left_behind "--pid container"
engines_check_no_leftover_cgroups
finish

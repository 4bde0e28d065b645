#!/usr/bin/env bash
# `podman run --runtime bottle` (podman 4.3 with conmon and its CNI backend): podman makes the
# container's netns and passes its path in config.json, so the sidecar joins podman's netns
# (engine path mode) and keeps podman's upstream; the agent gets a private netns whose only
# peer is the proxy. A plain container (annotation bottle.mode=plain, which the test's bottle.json
# trusts annotations with) runs as under runc.
#
# The whole test runs in a private network namespace that plays the host (it re-executes
# itself there): podman's CNI bridge and masquerade rules, the test internet (TEST-NET-2) and
# every bottle link live there. podman keeps its storage, run state and network config under
# the test's temp dir and passes bottle --config through --runtime-flag (read at create); the
# bottles' state is under bottle's default root: podman's cleanup after a container exits
# (conmon's exit command) calls `delete` without the runtime flags, so a --root given that way
# would not reach it (docs/engines.md).
. "$(dirname "$0")/../tests/lib.sh"
need_root
command -v podman >/dev/null || skip "needs podman (make test installs it)"
for t in ip nsenter nft busybox python3 iptables; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns pdhost "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_init podman-bottled
# shellcheck source=integration/podman.lib.sh
. "$BOTTLE_TOP/integration/podman.lib.sh"
podman_setup
# The plain container below asks by annotation, which needs the operator's opt-in.
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["trust"] = {"annotations": {"plain": True}}
json.dump(c, open(sys.argv[1], "w"))' "$T/bottle.json"
engines_busybox_rootfs "$T/rootfs"
# --rootfs rather than an image: an import would write podman's blob cache under
# /var/lib/containers whatever --root says.
IMG=(--rootfs "$T/rootfs")

# The network reaches the internet through this netns; forwarding is CNI's to switch on.
out=$(prun --rm --annotation bottle.mode=plain "${IMG[@]}" true 2>&1)
check_eq "a plain container runs (and podman's network is up)" "" "$out"
before=$(snapshot)

# 1. One bottled agent makes every probe as its main process (podman run --rm).
out=$(prun --rm "${IMG[@]}" sh -c "$(agent_probe)" 2>&1)
check_agent_probe "podman run --rm" "$?" "$out"
left_behind "podman run --rm"

# 2. A detached bottle: exec, logs, stop, rm.
a=$(prun -d "${IMG[@]}" sleep 600) || fail "podman run -d"
track "$a"
check_bottle_exec "podman exec" "$a" "engine netns" pd exec
pd exec "$a" wget -q -O- "http://only-a-$$.test/" >/dev/null 2>&1
check_contains "bottle logs: the blocked request is marked BLOCKED" "BLOCKED GET only-a-$$.test:80" \
  "$(B logs "$a" 2>&1)"
pd stop -t 1 "$a" >/dev/null
check_eq "podman stop: container exited" exited "$(pd inspect -f '{{.State.Status}}' "$a")"
pd rm -f "$a" >/dev/null
check_fails "podman rm: bottle has no state for it" test -e "$ROOT/.bottle/$a"
left_behind "podman stop + rm"
finish

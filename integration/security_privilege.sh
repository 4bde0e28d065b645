#!/usr/bin/env bash
# Issue 9 items 4 and 5 under a real dockerd (20.10, bottled mode, the pipelock test double as
# sidecar): what Docker users pass to get privilege that leaves the container (--privileged,
# --cap-add of the capabilities in docs/security.md, --device of a host block device,
# --security-opt systempaths=unconfined) or to bind what leaves it (-v /var/run/docker.sock,
# the daemon's own socket, /run/netns, /proc) is refused at create with bottle's one line naming
# the item and the bottle.json opt-in, and leaves nothing behind. Docker's defaults still run;
# with the operator's opt-in (agent.* in bottle.json, re-read at every create) the container
# runs and bottle's log says what was granted; docker exec --privileged gets no more than the
# agent's bounding set; plain-mode containers keep what Docker asks for.
#
# The test runs in a private network namespace that plays the host (in_private_host_netns).
# /run/docker.sock, where the path form users write points on a real Docker host, is a symlink
# to the private dockerd's socket for the test's duration (made only if nothing is there).
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock losetup; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns privhost "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
LOOP= RUN_SOCK_LINK=
engine_bottled_pre_cleanup() {
  [ -n "$LOOP" ] && losetup -d "$LOOP"
  [ -n "$RUN_SOCK_LINK" ] && rm -f /run/docker.sock
}
engine_bottled_init privd
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE
ROOT=$DOCKER_RUNTIME_ROOT
CONF=$ENGINE_TMP/bottle.json
cp "$CONF" "$ENGINE_TMP/bottle.default.json"
# agent_config PYTHON: bottle.json = the default one edited by PYTHON over `c`.
agent_config() {
  python3 - "$ENGINE_TMP/bottle.default.json" "$CONF" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"))
PY
}
dkt() { timeout 120 "$ENGINE_DOCKER_BIN" -H "unix://$DOCKER_HOST_SOCK" "$@" 2>&1 | grep -v 'IPv4 forwarding is disabled'; }
brun() { dkt run --rm --runtime=bottle --network none "$@"; }

if [ ! -e /run/docker.sock ] && [ ! -L /run/docker.sock ]; then
  ln -s "$DOCKER_HOST_SOCK" /run/docker.sock && RUN_SOCK_LINK=1
fi
truncate -s 1M "$ENGINE_TMP/disk.img"
LOOP=$(losetup -f --show "$ENGINE_TMP/disk.img") || { fail "losetup"; finish; exit; }

before=$(snapshot)

# 1. Docker's defaults run (CAP_NET_RAW silently dropped, as before).
out=$(brun "$IMG" sh -c 'grep CapEff /proc/self/status; echo default-ran')
check_contains "docker run with Docker's defaults runs" "default-ran" "$out"
capeff=$(awk '/^CapEff/ {print $2}' <<<"$out")
check_eq "Docker's default capabilities minus CAP_NET_RAW" 00000000a80405fb "$capeff"
# CAP_WAKE_ALARM is the sidecar's guard (docs/security.md §3): dropped, never granted.
out=$(brun --cap-add WAKE_ALARM "$IMG" sh -c 'grep CapEff /proc/self/status; echo wake-ran')
check_contains "--cap-add WAKE_ALARM runs" "wake-ran" "$out"
check_eq "--cap-add WAKE_ALARM: the agent holds Docker's defaults only" 00000000a80405fb \
  "$(awk '/^CapEff/ {print $2}' <<<"$out")"

# 2. Refused, each with bottle's line (docker prints the runtime's error), nothing left.
# refused WHAT WANT... -- DOCKER-RUN-ARGS...
refused() {
  local what=$1 out w
  local -a want=()
  shift
  while [ "$1" != -- ]; do want+=("$1"); shift; done
  shift
  out=$(brun "$@" "$IMG" echo agent-ran)
  check_fails "$what: refused" grep -q agent-ran <<<"$out"
  for w in "${want[@]}"; do check_contains "$what: $w" "$w" "$out"; done
}
# On this host --privileged fails capset under every runtime; what counts is bottle's refusal.
refused "--privileged" "the container is privileged (docker --privileged" "drop --privileged" \
  -- --privileged
# (Docker 20.10 knows no CAP_BPF or CAP_PERFMON: security_privilege_run.sh has them.)
for cap in SYS_ADMIN SYS_MODULE SYS_PTRACE DAC_READ_SEARCH SYS_RAWIO SYS_BOOT; do
  refused "--cap-add $cap" "CAP_$cap lets a bottled agent leave its bottle" \
    "remove it (docker: drop --cap-add $cap) or allow it in bottle.json agent.allow_capabilities" \
    -- --cap-add "$cap"
done
refused "--device $LOOP (a host block device)" "linux.devices[0]: $LOOP (b 7:" \
  "is a host block device" "agent.allow_devices" -- --device "$LOOP"
refused "--security-opt systempaths=unconfined" "linux.maskedPaths: /proc/acpi is left open" \
  "systempaths=unconfined" "agent.allow_unmasked_proc" -- --security-opt systempaths=unconfined
refused "-v /var/run/docker.sock (the path form)" \
  "source: /var/run/docker.sock, bound at /var/run/docker.sock in a bottled agent" \
  "is Docker's API socket" "agent.allow_mounts" -- -v /var/run/docker.sock:/var/run/docker.sock
refused "-v of the daemon's own socket" "source: $DOCKER_HOST_SOCK" \
  "API socket, a way out of the bottle" -- -v "$DOCKER_HOST_SOCK:/var/run/docker.sock"
refused "-v of the daemon's socket directory" "holds $DOCKER_HOST_SOCK" \
  -- -v "$(dirname "$DOCKER_HOST_SOCK")/:/d"
refused "-v /run/netns" "source: /run/netns, bound at /x" "agent.allow_mounts" -- -v /run/netns:/x
refused "-v /proc" "it is the host's /proc" "agent.allow_mounts" -- -v /proc:/hostproc
refused "-v /var/run (a parent of the sockets)" "/run holds" -- -v /var/run:/host-run
left_behind "refused containers"

# 3. The operator's opt-in: CAP_SYS_PTRACE and docker.sock, granted and logged.
agent_config 'c["agent"] = {"allow_capabilities": ["CAP_SYS_PTRACE"], "allow_mounts": ["/var/run/docker.sock"]}'
id=$(dkt run -d --runtime=bottle --network none --cap-add SYS_PTRACE \
  -v /var/run/docker.sock:/var/run/docker.sock "$IMG" sleep 600)
track "$id"
capeff=$(dkt exec "$id" grep CapEff /proc/self/status | awk '{print $2}')
check_eq "opt-in: CAP_SYS_PTRACE kept (CapEff $capeff)" 1 "$(((0x${capeff:-0} >> 19) & 1))"
check_eq "opt-in: docker.sock is bound" socket \
  "$(dkt exec "$id" stat -L -c %F /var/run/docker.sock | cut -d' ' -f1)"
log=$(find "$ENGINE_TMP" -path "*$id*" -name log.json -exec cat {} + 2>/dev/null)
check_contains "opt-in: bottle's log says what was granted" \
  "grants it CAP_SYS_PTRACE (agent.allow_capabilities), the host's /var/run/docker.sock at /var/run/docker.sock (agent.allow_mounts)" "$log"
# docker exec --privileged asks for every capability: it gets the agent's bounding set.
check_eq "docker exec --privileged: no capability beyond the agent's" \
  "$(dkt exec "$id" grep CapBnd /proc/self/status)" "$(dkt exec --privileged "$id" grep CapBnd /proc/self/status)"
out=$(brun --cap-add SYS_ADMIN "$IMG" echo agent-ran)
check_contains "opt-in of CAP_SYS_PTRACE does not allow CAP_SYS_ADMIN" \
  "CAP_SYS_ADMIN lets a bottled agent leave its bottle" "$out"
dkt rm -f "$id" >/dev/null

# 4. Plain mode: what Docker asks for, as runc.
agent_config 'c["mode"] = "plain"'
out=$(dkt run --rm --runtime=bottle --network none --cap-add SYS_PTRACE -v /proc:/hostproc "$IMG" \
  sh -c 'grep CapEff /proc/self/status; test -e /hostproc/1 && echo plain-ran')
check_contains "plain mode: --cap-add SYS_PTRACE -v /proc:/hostproc runs" "plain-ran" "$out"
cp "$ENGINE_TMP/bottle.default.json" "$CONF"
left_behind "opt-in and plain containers"
finish

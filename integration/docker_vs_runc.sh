#!/usr/bin/env bash
# The same docker run, once with --runtime=bottle and once with the stock runc:
# what the container sees (credentials, capabilities, seccomp, mounts, devices,
# env, limits, sysctls, masked and read-only paths, cgroups, namespaces) must be
# identical, for Docker's default container and for the common options.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=integration/engines.lib.sh
. "$(dirname "$0")/engines.lib.sh"
need_root
engines_init docker-vs
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE
vol=$ENGINE_TMP/vol
mkdir -p "$vol" && echo data >"$vol/file"

compare() {
  local what=$1; shift
  engines_compare "$what" dk run --rm --runtime=bottle "$@" "$IMG" sh -c "$ENGINE_PROBE" \
    -- dk run --rm --runtime=runc-ref "$@" "$IMG" sh -c "$ENGINE_PROBE"
}

compare "docker's default container"
compare "--read-only" --read-only
compare "--user 1000:1000 --group-add 5" --user 1000:1000 --group-add 5
compare "--cap-drop ALL --cap-add NET_ADMIN" --cap-drop ALL --cap-add NET_ADMIN
compare "--security-opt no-new-privileges" --security-opt no-new-privileges
# --privileged asks for every capability the daemon knows; where the host's own
# bounding set lacks one (CAP_SYS_RESOURCE in some sandboxes) runc and bottle both
# refuse, so ask for all the host has.
if grep -q '^CapBnd:.*1ffffffffff$' /proc/self/status; then
  compare "--privileged" --privileged
else
  compare "--cap-add ALL (less what the host lacks) --security-opt seccomp=unconfined" --cap-add ALL \
    --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined
fi
compare "--device" --device /dev/zero:/dev/myzero --device /dev/null:/dev/mynull:r
compare "--security-opt seccomp=unconfined" --security-opt seccomp=unconfined
compare "--tmpfs, -v ro, --shm-size" --tmpfs /run:size=1m,mode=700 -v "$vol:/data:ro" --shm-size 8m
compare "--ulimit, --sysctl, --oom-score-adj" --ulimit nofile=100:200 --sysctl net.ipv4.ip_forward=1 --oom-score-adj 300
compare "-w, -e, --hostname, --domainname" -w /tmp -e FOO=bar --hostname box --domainname example.test
compare "--network none" --network none
compare "--network host" --network host
compare "--ipc host --uts host" --ipc host --uts host
compare "--init" --init
compare "-t (terminal)" -t
finish

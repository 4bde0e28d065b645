#!/usr/bin/env bash
# The same ctr run, once with --runc-binary bottle and once with the stock runc:
# what the container observes must be identical (containerd's default spec and
# the common ctr options, user namespaces included).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=integration/engines.lib.sh
. "$(dirname "$0")/engines.lib.sh"
need_root
engines_init ctr-vs
containerd_start
ctr_busybox_image
IMG=$ENGINE_CTR_IMAGE
vol=$ENGINE_TMP/vol
mkdir -p "$vol" && echo data >"$vol/file"
n=0

# One container per side, each its own id, runtime root and snapshot.
side() {
  local bin=$1; shift
  n=$((n + 1))
  c run --rm --runc-binary "$bin" --runc-root "$CTR_RUNTIME_ROOT" "$@" "$IMG" "cmp-$$-$n" sh -c "$ENGINE_PROBE"
}
compare() {
  local what=$1; shift
  engines_compare "$what" side "$ENGINE_RUNTIME_PATH" "$@" -- side "$(command -v runc)" "$@"
}

compare "containerd's default spec"
compare "--read-only" --read-only
compare "--cap-drop CAP_NET_RAW --cap-add CAP_SYS_ADMIN" --cap-drop CAP_NET_RAW --cap-add CAP_SYS_ADMIN
compare "--seccomp (default profile)" --seccomp
compare "--allow-new-privs" --allow-new-privs
compare "--net-host" --net-host
compare "--memory-limit, --cpus" --memory-limit 67108864 --cpus 0.5
compare "--mount rbind ro, --env, --cwd" --mount "type=bind,src=$vol,dst=/data,options=rbind:ro" --env A=b --cwd /tmp
compare "--rootfs-propagation rslave" --rootfs-propagation rslave
compare "--no-pivot" --no-pivot
compare "--uidmap/--gidmap (user namespace)" --uidmap 0:200000:65536 --gidmap 0:200000:65536
check_eq "no task left" "" "$(c task ls -q)"
check_eq "runtime state dir is empty" "" "$(ls "$CTR_RUNTIME_ROOT/$CTR_NS" 2>&1)"
finish

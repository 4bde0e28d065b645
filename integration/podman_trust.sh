#!/usr/bin/env bash
# Issue 9 item 2 under podman 4.3 (`podman --runtime bottle`): podman copies an image's
# annotations into config.json, so an image built with `podman build --annotation
# bottle.mode=plain` asks bottle to run it unconfined. Without the operator's opt-in, `podman run`
# of it fails with bottle's one-line refusal and leaves nothing (no bottle state, netns or
# cgroup); with "trust": {"annotations": {"plain": true}} in bottle.json it runs plain (podman's
# own network: a default route, no proxy env). An image annotation bottle.egress.allowlist that
# adds a host is refused likewise without trust.annotations.extra_hosts.
#
# Runs like integration/podman_bottled.sh: a private netns playing the host, podman's storage,
# run state and CNI config under the test's temp dir, bottle's config via --runtime-flag.
. "$(dirname "$0")/../tests/lib.sh"
need_root
command -v podman >/dev/null || skip "needs podman (make test installs it)"
for t in ip nsenter nft busybox python3 iptables tar; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns pdtrust "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_init podman-trust
# shellcheck source=integration/podman.lib.sh
. "$BOTTLE_TOP/integration/podman.lib.sh"
podman_setup
CONF=$T/bottle.json

# The images: busybox imported from a local tarball, and two built FROM it with bottle.*
# annotations (no RUN step: nothing runs during the build).
engines_busybox_rootfs "$T/rootfs"
tar -C "$T/rootfs" --numeric-owner -cf "$T/rootfs.tar" .
check "podman import busybox" pd import --change 'CMD ["sh"]' "$T/rootfs.tar" localhost/bt-busybox
printf 'FROM localhost/bt-busybox\n' >"$T/Containerfile"
check "podman build --annotation bottle.mode=plain" pd build --pull=never --format oci \
  --annotation bottle.mode=plain -t localhost/bt-plain -f "$T/Containerfile" "$T"
check "podman build --annotation bottle.egress.allowlist=..." pd build --pull=never --format oci \
  --annotation bottle.egress.allowlist=evil-$$.test -t localhost/bt-hosts -f "$T/Containerfile" "$T"
check_contains "the image carries the annotation" '"bottle.mode":"plain"' \
  "$(pd image inspect -f '{{json .Annotations}}' localhost/bt-plain)"

# refused WHAT NAME IMAGE SETTING KEY: podman run fails with bottle's line, nothing of bottle's
# stays for that container.
refused() {
  local out rc id n
  out=$(prun --name "$2" "$3" true 2>&1 </dev/null)
  rc=$?
  echo "$out"
  out=${out//\\\"/\"}
  check_fails "$1: podman run fails" test "$rc" -eq 0
  check_contains "$1: bottle's refusal names the annotation and value" "$4" "$out"
  check_contains "$1: ... and the key that allows it" "$5" "$out"
  check_eq "$1: bottle's refusal is one line" 1 "$(grep -c 'would loosen the bottle' <<<"$out")"
  id=$(pd inspect -f '{{.Id}}' "$2" 2>/dev/null)
  check "$1: podman knows the container's id" test -n "$id"
  n=$(nname "${id:-none}")
  check_fails "$1: no bottle state" test -e "$ROOT/${id:-none}"
  check_fails "$1: no sidecar state" test -e "$ROOT/.bottle/${id:-none}"
  check_eq "$1: no netns bind mounts or records" "" \
    "$(find /run/bottle/netns /run/bottle/netns-state -maxdepth 1 -name "*$n*" 2>/dev/null)"
  check_eq "$1: no cgroup named after it" "" \
    "$(find /sys/fs/cgroup -maxdepth 4 -type d \( -name "*$n*" -o -name "*${id:-none}*" \) 2>/dev/null)"
  pd rm -f "$2" >/dev/null 2>&1
}

# The base image runs bottled (and podman's network is up before the snapshot).
out=$(prun --rm localhost/bt-busybox sh -c 'env; ip -4 route' 2>&1 </dev/null)
check_contains "the base image runs bottled (proxy env)" "HTTP_PROXY=http://10.231.0.1:8888" "$out"
before=$(snapshot)
refused "image annotation bottle.mode=plain, no opt-in" bt-plain-$$ localhost/bt-plain \
  'annotation bottle.mode="plain"' '"trust": {"annotations": {"plain": true}}'
refused "image annotation bottle.egress.allowlist, no opt-in" bt-hosts-$$ localhost/bt-hosts \
  "annotation bottle.egress.allowlist=\"evil-$$.test\"" '"trust": {"annotations": {"extra_hosts": true}}'
left_behind "refused podman runs"

# With the operator's opt-in the image runs plain: podman's network as under runc.
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["trust"] = {"annotations": {"plain": True}}
json.dump(c, open(sys.argv[1], "w"))' "$CONF"
out=$(prun --rm localhost/bt-plain sh -c 'env; ip -4 route' 2>&1 </dev/null)
echo "$out"
check_contains "opt-in: the image runs plain (podman's default route)" "default via 203.0.113.1" "$out"
check_fails "opt-in: no proxy env (not bottled)" grep -q "HTTP_PROXY=" <<<"$out"
# The opt-in is for plain only: the host-adding image stays refused.
refused "image annotation bottle.egress.allowlist, only plain trusted" bt-hosts2-$$ \
  localhost/bt-hosts "annotation bottle.egress.allowlist=\"evil-$$.test\"" \
  '"trust": {"annotations": {"extra_hosts": true}}'
left_behind "podman run --rm of the plain image"
finish

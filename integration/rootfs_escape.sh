#!/usr/bin/env bash
# Mount targets are resolved inside the rootfs: symlinks in the image
# (absolute, relative ../.., through /proc/self/root) and ".." in
# destinations never place a mount or a created directory outside it.
source "$(dirname "$0")/rootfs_probe.lib.sh"
rootfs_setup

host=$T/hostside
mkdir -p "$host"
echo "HOST ORIGINAL" >"$host/resolv.conf"
mkdir -p "$ROOTFS/etc" "$ROOTFS/proc"
# resolv.conf pointing out of the rootfs by a relative path...
ln -s "../../../../../../../..$host/resolv.conf" "$ROOTFS/etc/resolv.conf"
# ...a directory pointing out by an absolute path...
ln -s "$host" "$ROOTFS/escape"
# ...and one through procfs, which only a magic link could follow.
ln -s /proc/self/root "$ROOTFS/procroot"

mounts="[
 {\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},
 {\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\",\"source\":\"$T/host/resolv.conf\",\"options\":[\"rbind\",\"rprivate\"]},
 {\"destination\":\"/escape/sub\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},
 {\"destination\":\"/../../..$host/dotdot\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}
]"
write_config "$T/esc.json" "$mounts" '"namespaces":[{"type":"mount"},{"type":"pid"}]'
out=$(probe "$T/esc.json" -- sh -c 'cat /etc/resolv.conf; cat /proc/self/mountinfo' 2>&1)
check_contains "the bind lands where the link points inside the rootfs" "nameserver 192.0.2.53" "$out"
check_eq "the bind's mount point is inside the rootfs" "$T/host/resolv.conf" \
  "$(mountinfo_field "$out" "$host/resolv.conf" root)"
check_eq "the host file behind the link is untouched" "HOST ORIGINAL" "$(cat "$host/resolv.conf")"
check "the link's target file was created inside the rootfs" test -f "$ROOTFS$host/resolv.conf"
check_eq "tmpfs through an absolute link is mounted inside" tmpfs "$(mountinfo_field "$out" "$host/sub" fstype)"
check "no directory created on the host through the absolute link" test ! -e "$host/sub"
check "it was created inside the rootfs instead" test -d "$ROOTFS$host/sub"
check "'..' in a destination stays inside" test -d "$ROOTFS$host/dotdot"
check "'..' in a destination created nothing on the host" test ! -e "$host/dotdot"
check "no mount of the probe leaked to the host" eval "! grep -q ' $host' /proc/self/mountinfo"

# Through /proc/self/root (a magic link in the container's own procfs).
write_config "$T/magic.json" "[
 {\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},
 {\"destination\":\"/procroot$host/magic\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]" \
  '"namespaces":[{"type":"mount"},{"type":"pid"}]'
out=$(probe "$T/magic.json" -- true 2>&1)
rc=$?
echo "# $out"
check "mount through /proc/self/root refused" test "$rc" -ne 0
check_contains "the error names the destination" "/procroot$host/magic" "$out"
check "nothing created on the host through the magic link" test ! -e "$host/magic"

# A symlink to /proc does not smuggle a mount over procfs files (the
# destination check applies to where the target really is).
ln -s /proc "$ROOTFS/myproc"
echo "|/tmp/evil %p" >"$T/host/core_pattern"
write_config "$T/procsmuggle.json" "[
 {\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},
 {\"destination\":\"/myproc/sys/kernel/core_pattern\",\"type\":\"bind\",\"source\":\"$T/host/core_pattern\",\"options\":[\"bind\"]}]" \
  '"namespaces":[{"type":"mount"},{"type":"pid"}]'
out=$(probe "$T/procsmuggle.json" -- cat /proc/sys/kernel/core_pattern 2>&1)
rc=$?
check "bind over /proc/sys through a symlink refused" test "$rc" -ne 0
check_contains "the error says where it resolved" "resolves into /proc" "$out"
write_config "$T/procsmuggle2.json" "[
 {\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},
 {\"destination\":\"/myproc/sys\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]" \
  '"namespaces":[{"type":"mount"},{"type":"pid"}]'
out=$(probe "$T/procsmuggle2.json" -- true 2>&1)
check_contains "tmpfs over /proc/sys through a symlink refused" "mounting over /proc is not allowed" "$out"
write_config "$T/lxcfs.json" "[
 {\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},
 {\"destination\":\"/myproc/meminfo\",\"type\":\"bind\",\"source\":\"$T/host/core_pattern\",\"options\":[\"bind\",\"ro\"]}]" \
  '"namespaces":[{"type":"mount"},{"type":"pid"}]'
out=$(probe "$T/lxcfs.json" -- cat /proc/meminfo 2>&1)
check_contains "lxcfs-style bind of /proc/meminfo still allowed" "/tmp/evil" "$out"
rm "$ROOTFS/myproc"

# proc and sysfs are never mounted on a symlink (CVE-2019-19921).
rm -rf "${ROOTFS:?}/proc"
ln -s /tmp "$ROOTFS/proc"
write_config "$T/proclink.json" '[{"destination":"/proc","type":"proc","source":"proc"}]' \
  '"namespaces":[{"type":"mount"},{"type":"pid"}]'
out=$(probe "$T/proclink.json" -- true 2>&1)
check_contains "proc on a symlink refused" "proc must be mounted on a directory, not a symlink" "$out"
rm "$ROOTFS/proc"
mkdir "$ROOTFS/proc"

# maskedPaths/readonlyPaths entries that point outside resolve inside (and
# are ignored when missing there); the host file stays readable.
ln -s "$host/resolv.conf" "$ROOTFS/masklink"
write_config "$T/masklink.json" "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}]" \
  '"namespaces":[{"type":"mount"},{"type":"pid"}],"maskedPaths":["/masklink","/escape"],"readonlyPaths":["/escape"]'
rm -rf "${ROOTFS:?}$host"
out=$(probe "$T/masklink.json" -- sh -c 'cat /proc/self/mountinfo' 2>&1)
check "masked paths whose link target is missing inside are skipped" eval "! grep -q ' $host' <<<\"\$out\""
check_contains "setup succeeded" " /proc " "$out"
check_eq "host file still readable" "HOST ORIGINAL" "$(cat "$host/resolv.conf")"

finish

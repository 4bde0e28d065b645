#!/usr/bin/env bash
# The rootfs code inside a user namespace (rootfs_opts.userns): devices are
# bind-mounted from the host instead of mknod'ed, sysfs falls back to a bind
# of /sys when the network namespace is not the user namespace's own, and
# everything else (masking, read-only paths, read-only root) still holds.
source "$(dirname "$0")/rootfs_probe.lib.sh"
unshare --user true 2>/dev/null || skip "user namespaces are not available"
rootfs_setup

extra=""
[ -c /dev/net/tun ] && extra=',"devices":[{"path":"/dev/net/tun","type":"c","major":10,"minor":200}]'
write_config "$T/userns.json" "$(docker_mounts)" "$(docker_linux)$extra" true
out=$(probe --userns "$T/userns.json" -- sh -c 'for d in null zero full random urandom tty; do
  echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done; [ -e /dev/net/tun ] && echo "tun $(stat -c %t:%T /dev/net/tun)"
  cat /proc/keys | wc -c; echo 1 > /proc/sys/kernel/printk; touch /rootfile; echo ---; cat /proc/self/mountinfo' 2>&1)
mi=${out#*---}
for d in "null 1:3" "zero 1:5" "full 1:7" "random 1:8" "urandom 1:9" "tty 5:0"; do
  set -- $d
  check_contains "userns: /dev/$1 is the host's $2" "$1 character special file $2" "$out"
  check_eq "userns: /dev/$1 is a bind mount of the host node" "/$1" "$(mountinfo_field "$mi" "/dev/$1" root)"
done
[ -n "$extra" ] && check_contains "userns: linux.devices bound from the host" "tun a:c8" "$out"
check_contains "userns: masked /proc/keys reads empty" "$(printf '0\n')" "${out%%---*}"
check_contains "userns: /proc/sys read-only" "/proc/sys/kernel/printk: Read-only file system" "$out"
check_contains "userns: readonly root" "/rootfile: Read-only file system" "$out"
check_eq "userns: sysfs mounted (own network namespace)" sysfs "$(mountinfo_field "$mi" /sys fstype)"
host_sys=$(awk '$5 == "/sys" {print $3}' /proc/self/mountinfo)
check "userns: /sys is a fresh sysfs, not the host's" test "$(mountinfo_field "$mi" /sys dev)" != "$host_sys"

# A read-only bind in a user namespace: the source's nosuid/nodev/noexec are
# locked there, so the remount must keep them (mount_setattr changes only ro).
mkdir -p "$T/vol"
mount -t tmpfs -o nosuid,nodev,noexec,size=1m bottle-rootfs-userns-vol "$T/vol"
write_config "$T/vol.json" "$(docker_mounts \
  "{\"destination\":\"/vol\",\"type\":\"bind\",\"source\":\"$T/vol\",\"options\":[\"rbind\",\"ro\",\"rprivate\"]}")" \
  "$(docker_linux)"
out=$(probe --userns "$T/vol.json" -- sh -c 'touch /vol/x 2>&1; cat /proc/self/mountinfo' 2>&1)
v=$(mountinfo_field "$out" /vol opts)
check "userns: ro bind of a locked nosuid,nodev,noexec source works" test -n "$v"
check "userns: ro bind is read-only" has_opt "$v" ro
check "userns: ro bind kept the locked flags" eval 'has_opt $v nosuid && has_opt $v nodev && has_opt $v noexec'
check_contains "userns: ro bind refuses writes" "Read-only file system" "$out"
umount "$T/vol"

# Without a network namespace of its own, sysfs cannot be mounted: /sys of
# the host is bound instead (read-only, as asked).
write_config "$T/nonet.json" "$(docker_mounts)" "$(docker_linux | sed 's/{"type":"network"},//')"
out=$(probe --userns "$T/nonet.json" -- cat /proc/self/mountinfo 2>&1)
check_eq "userns without netns: /sys is still sysfs (a bind of the host's)" sysfs "$(mountinfo_field "$out" /sys fstype)"
check_eq "userns without netns: /sys is the host's sysfs" "$host_sys" "$(mountinfo_field "$out" /sys dev)"
check "userns without netns: /sys read-only" has_opt "$(mountinfo_field "$out" /sys opts)" ro
check "userns without netns: host /sys submounts came along (rbind)" \
  eval "grep -q ' /sys/kernel' <<<\"\$out\" || ! grep -q ' /sys/kernel' /proc/self/mountinfo"

# cgroup v2 in a user namespace without a cgroup namespace: cgroup2 cannot be
# mounted, so our own cgroup directory is bound (simulated v2 host).
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] &&
  unshare -m sh -c 'mount -t cgroup2 cgroup2 /sys/fs/cgroup' 2>/dev/null; then
  write_config "$T/v2.json" "$(docker_mounts)" "$(docker_linux | sed 's/,{"type":"cgroup"}//')"
  # In a child cgroup of its own, so "our cgroup" is not simply the root.
  out=$(unshare -m --propagation private sh -c 'mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
    mkdir /sys/fs/cgroup/bottle-rootfs-userns-'$$' && echo $$ >/sys/fs/cgroup/bottle-rootfs-userns-'$$'/cgroup.procs &&
    exec "$@"' v2 "$PROBE" --userns "$T/v2.json" "$ROOTFS" -- sh -c 'cat /proc/self/cgroup; echo ---; cat /proc/self/mountinfo' 2>&1)
  own=$(sed -n 's/^0::\(.*\)/\1/p' <<<"${out%%---*}")
  mi=${out#*---}
  check "userns v2: the container saw its cgroup" test -n "$own"
  check_eq "userns v2 without cgroupns: cgroup2 bound from our own cgroup ($own)" "$own" \
    "$(mountinfo_field "$mi" /sys/fs/cgroup root)"
  check "userns v2: read-only" has_opt "$(mountinfo_field "$mi" /sys/fs/cgroup opts)" ro
  check_eq "userns v2: the probe ran in its own cgroup" "/bottle-rootfs-userns-$$" "$own"
  unified=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
  [ -n "$unified" ] && rmdir "$unified/bottle-rootfs-userns-$$" 2>/dev/null
fi

finish

#!/usr/bin/env bash
# /dev population (default devices, linux.devices, symlinks), masked and
# read-only paths, and /dev/console, through the runtime's rootfs code.
source "$(dirname "$0")/rootfs_probe.lib.sh"
rootfs_setup

devices='"devices":[{"path":"/dev/test-null","type":"c","major":1,"minor":3,"fileMode":384,"uid":1000,"gid":1001},
  {"path":"/dev/net/tun","type":"c","major":10,"minor":200},
  {"path":"/dev/loop-test","type":"b","major":7,"minor":0,"fileMode":432},
  {"path":"/dev/test-fifo","type":"p","fileMode":420}]'
write_config "$T/dev.json" "$(docker_mounts)" "$(docker_linux),$devices"
out=$(probe "$T/dev.json" -- sh -c 'for d in null zero full random urandom tty test-null net/tun loop-test test-fifo; do
  echo "$d $(stat -c "%F %t:%T %a %u:%g" /dev/$d)"; done
  for l in ptmx fd stdin stdout stderr; do echo "link $l $(readlink /dev/$l)"; done
  echo hello > /dev/null && echo null-writable; head -c 4 /dev/zero | od -An -tx1; ls /dev/pts' 2>&1)
for d in "null 1:3" "zero 1:5" "full 1:7" "random 1:8" "urandom 1:9" "tty 5:0"; do
  set -- $d
  check_contains "default device /dev/$1 ($2, 0666, root)" "$1 character special file $2 666 0:0" "$out"
done
check_contains "linux.devices: char device with fileMode 0600 and uid/gid" \
  "test-null character special file 1:3 600 1000:1001" "$out"
check_contains "linux.devices: parent dir created (/dev/net/tun)" "net/tun character special file a:c8 666 0:0" "$out"
check_contains "linux.devices: block device" "loop-test block special file 7:0 660 0:0" "$out"
check_contains "linux.devices: fifo" "test-fifo fifo 0:0 644 0:0" "$out"
check_contains "/dev/ptmx -> pts/ptmx" "link ptmx pts/ptmx" "$out"
check_contains "/dev/fd -> /proc/self/fd" "link fd /proc/self/fd" "$out"
check_contains "/dev/stdin" "link stdin /proc/self/fd/0" "$out"
check_contains "/dev/stdout" "link stdout /proc/self/fd/1" "$out"
check_contains "/dev/stderr" "link stderr /proc/self/fd/2" "$out"
check_contains "/dev/null works" null-writable "$out"
check_contains "/dev/zero works" "00 00 00 00" "$out"
check_contains "/dev/pts has its own ptmx" ptmx "$out"

# stdin inherited as the host's /dev/null becomes the container's /dev/null.
out=$(probe "$T/dev.json" -- sh -c 'stat -L -c "%d:%i" /proc/self/fd/0; stat -c "%d:%i" /dev/null' </dev/null 2>&1)
check_eq "host /dev/null on stdin is swapped for the container's" 1 "$(sort -u <<<"$out" | wc -l)"

write_config "$T/baddev.json" "$(docker_mounts)" "$(docker_linux),\"devices\":[{\"path\":\"/etc/evil\",\"type\":\"c\",\"major\":1,\"minor\":3}]"
out=$(probe "$T/baddev.json" -- true 2>&1)
check_contains "device outside /dev refused" "device paths must be under /dev" "$out"
write_config "$T/baddev2.json" "$(docker_mounts)" "$(docker_linux),\"devices\":[{\"path\":\"/dev/x\",\"type\":\"z\",\"major\":1,\"minor\":3}]"
out=$(probe "$T/baddev2.json" -- true 2>&1)
check_contains "bad device type named" '"type" must be one of c, u, b, p' "$out"

# A bind-mounted /dev is left as it is (no default devices), as runc does.
mkdir -p "$T/hostdev"
write_config "$T/devbind.json" "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},
  {\"destination\":\"/dev\",\"type\":\"bind\",\"source\":\"$T/hostdev\",\"options\":[\"rbind\"]}]" \
  '"namespaces":[{"type":"mount"},{"type":"pid"}]'
out=$(probe "$T/devbind.json" -- ls /dev 2>&1)
check_eq "bind-mounted /dev is not populated" "" "$out"

# Masked paths: files read empty, directories are empty read-only tmpfs,
# missing entries are ignored. Read-only paths refuse writes.
write_config "$T/mask.json" "$(docker_mounts)" "$(docker_linux | sed 's|"/sys/firmware"|"/sys/firmware","/proc/does-not-exist","/proc/cpuinfo"|')"
out=$(probe "$T/mask.json" -- sh -c 'echo "keys=$(cat /proc/keys | wc -c)"; echo "cpuinfo=$(cat /proc/cpuinfo | wc -c)";
  echo "firmware=$(ls -A /sys/firmware | wc -l)"; touch /sys/firmware/x 2>&1;
  echo 1 > /proc/sys/kernel/printk 2>&1; echo h > /proc/sysrq-trigger 2>&1;
  echo "timer=$(cat /proc/timer_list | wc -c)"; cat /proc/self/mountinfo' 2>&1)
check_contains "masked /proc/keys reads empty" "keys=0" "$out"
check_contains "masked /proc/cpuinfo reads empty" "cpuinfo=0" "$out"
check_contains "masked /proc/timer_list reads empty" "timer=0" "$out"
check_contains "masked /sys/firmware is empty" "firmware=0" "$out"
check_contains "masked dir is read-only" "/sys/firmware/x: Read-only file system" "$out"
check_contains "/proc/sys read-only" "/proc/sys/kernel/printk: Read-only file system" "$out"
if [ -e /proc/sysrq-trigger ]; then
  check_contains "/proc/sysrq-trigger read-only" "/proc/sysrq-trigger: Read-only file system" "$out"
fi
check "/proc/sys mount is ro" has_opt "$(mountinfo_field "$out" /proc/sys opts)" ro
check "/proc/sys keeps nosuid,nodev,noexec" eval 'o=$(mountinfo_field "$out" /proc/sys opts); has_opt $o nosuid && has_opt $o nodev && has_opt $o noexec'
check_eq "masked dir is a tmpfs" tmpfs "$(mountinfo_field "$out" /sys/firmware fstype)"

# CVE-2025-31133 class: a /dev/null that is not the null device must not be
# used to mask (it would bind whatever it points at over /proc/...).
mkdir -p "$T/fakedev"
ln -s /proc/sys/kernel/hostname "$T/fakedev/null"
write_config "$T/fakenull.json" "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},
  {\"destination\":\"/dev\",\"type\":\"bind\",\"source\":\"$T/fakedev\",\"options\":[\"rbind\"]}]" \
  '"namespaces":[{"type":"mount"},{"type":"pid"},{"type":"uts"}],"maskedPaths":["/proc/keys"]'
out=$(probe "$T/fakenull.json" -- true 2>&1)
rc=$?
check "symlinked /dev/null: setup refused" test "$rc" -ne 0
check_contains "symlinked /dev/null: error says why" "/dev/null" "$out"
rm "$T/fakedev/null"
touch "$T/fakedev/null"
out=$(probe "$T/fakenull.json" -- true 2>&1)
check_contains "regular file as /dev/null refused" "not the null device" "$out"

# /dev/console: a pty slave of the container's devpts bound over it.
write_config "$T/docker.json" "$(docker_mounts)" "$(docker_linux)"
out=$(probe --console "$T/docker.json" -- sh -c 'stat -c "%F %t" /dev/console; cat /proc/self/mountinfo' 2>&1)
check_contains "/dev/console is a pty slave (major 136)" "character special file 88" "$out"
check_eq "/dev/console is bound from devpts" devpts "$(mountinfo_field "$out" /dev/console fstype)"

finish

#!/usr/bin/env bash
# Docker's default mounts through the runtime's rootfs code (rootfs_probe):
# every filesystem type with its flags and data, binds with ro and
# propagation, recursive read-only, readonly root, cgroup with and without a
# cgroup namespace, --no-pivot.
source "$(dirname "$0")/rootfs_probe.lib.sh"
rootfs_setup

write_config "$T/docker.json" "$(docker_mounts)" "$(docker_linux)"
mi=$(probe "$T/docker.json" -- cat /proc/self/mountinfo)
check "docker's default container comes up" test -n "$mi"

root_opts=$(mountinfo_field "$mi" / opts)
check "/ is the rootfs, read-write" has_opt "$root_opts" rw
check_eq "/proc is proc" proc "$(mountinfo_field "$mi" /proc fstype)"
p=$(mountinfo_field "$mi" /proc opts)
check "/proc nosuid,nodev,noexec" eval 'has_opt $p nosuid && has_opt $p nodev && has_opt $p noexec'
check_eq "/dev is tmpfs" tmpfs "$(mountinfo_field "$mi" /dev fstype)"
d=$(mountinfo_field "$mi" /dev opts)
check "/dev nosuid, strictatime (no relatime)" eval 'has_opt $d nosuid && ! has_opt $d relatime'
ds=$(mountinfo_field "$mi" /dev super)
check "/dev data mode=755,size=65536k" eval 'has_opt $ds mode=755 && has_opt $ds size=65536k'
pts=$(mountinfo_field "$mi" /dev/pts super)
check "/dev/pts newinstance data: gid=5,mode=620,ptmxmode=666" \
  eval 'has_opt $pts gid=5 && has_opt $pts mode=620 && has_opt $pts ptmxmode=666'
check_eq "/sys is sysfs" sysfs "$(mountinfo_field "$mi" /sys fstype)"
check "/sys read-only" has_opt "$(mountinfo_field "$mi" /sys opts)" ro
check_eq "/dev/mqueue is mqueue" mqueue "$(mountinfo_field "$mi" /dev/mqueue fstype)"
shm=$(mountinfo_field "$mi" /dev/shm super)
check "/dev/shm size=67108864 (65536k)" has_opt "$shm" size=65536k
check_eq "/etc/hosts is a bind of the host file" "$T/host/hosts" "$(mountinfo_field "$mi" /etc/hosts root)"
out=$(probe "$T/docker.json" -- sh -c 'cat /etc/hosts; stat -c %a /dev/shm; hostname -F /etc/hostname 2>&1; cat /etc/hostname')
check_contains "bound /etc/hosts content" "192.0.2.10 probe-host" "$out"
check_contains "/dev/shm mode 1777" "1777" "$out"

# cgroup: the host's hierarchy kind decides the shape.
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  check_eq "/sys/fs/cgroup is cgroup2" cgroup2 "$(mountinfo_field "$mi" /sys/fs/cgroup fstype)"
else
  check_eq "/sys/fs/cgroup is a tmpfs (v1)" tmpfs "$(mountinfo_field "$mi" /sys/fs/cgroup fstype)"
  check "/sys/fs/cgroup tmpfs read-only as asked" has_opt "$(mountinfo_field "$mi" /sys/fs/cgroup opts)" ro
  for c in $(awk '$3 == "cgroup" {print $2}' /proc/mounts | xargs -n1 basename); do
    check_eq "cgroup hierarchy $c mounted" cgroup "$(mountinfo_field "$mi" "/sys/fs/cgroup/$c" fstype)"
    check "cgroup hierarchy $c read-only" has_opt "$(mountinfo_field "$mi" "/sys/fs/cgroup/$c" opts)" ro
    check_eq "cgroup $c shows the namespace root" / "$(mountinfo_field "$mi" "/sys/fs/cgroup/$c" root)"
  done
  # Without a cgroup namespace: a bind of our own cgroup directory.
  write_config "$T/nocgns.json" "$(docker_mounts)" "$(docker_linux | sed 's/,{"type":"cgroup"}//')"
  out=$(probe "$T/nocgns.json" -- sh -c 'cat /proc/self/cgroup; echo ---; cat /proc/self/mountinfo')
  own=$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' <<<"${out%%---*}")
  mi2=${out#*---}
  check "the container saw its memory cgroup" test -n "$own"
  check_eq "without cgroupns memory is our own cgroup ($own)" "$own" \
    "$(mountinfo_field "$mi2" /sys/fs/cgroup/memory root)"
fi

# cgroup v2 (simulated on a v1/hybrid host: a private mount namespace with
# the unified hierarchy at /sys/fs/cgroup).
v2probe() {
  unshare -m --propagation private sh -c \
    'mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || exit 77; exec "$@"' \
    v2 "$PROBE" "$@" 2>&1
}
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
  out=$(v2probe "$T/docker.json" "$ROOTFS" -- cat /proc/self/mountinfo)
  if [ $? -ne 77 ]; then
    check_eq "v2: /sys/fs/cgroup is cgroup2" cgroup2 "$(mountinfo_field "$out" /sys/fs/cgroup fstype)"
    check "v2: read-only" has_opt "$(mountinfo_field "$out" /sys/fs/cgroup opts)" ro
    check_eq "v2: with a cgroup namespace it shows the namespace root" / "$(mountinfo_field "$out" /sys/fs/cgroup root)"
    check "v2: no v1 hierarchies" eval "! grep -q ' /sys/fs/cgroup/cpu ' <<<\"\$out\""
  fi
fi

# Binds: ro keeps the source's nosuid/nodev (locked flags); propagation.
mkdir -p "$T/vol" "$T/shared"
mount -t tmpfs -o nosuid,nodev,size=1m bottle-rootfs-vol "$T/vol"
echo data >"$T/vol/file"
mount -t tmpfs -o size=1m bottle-rootfs-shared "$T/shared"
mount --make-shared "$T/shared"
mkdir -p "$T/shared/sub"
mount -t tmpfs -o size=1m bottle-rootfs-sub "$T/shared/sub"
write_config "$T/binds.json" "$(docker_mounts \
  "{\"destination\":\"/vol\",\"type\":\"bind\",\"source\":\"$T/vol\",\"options\":[\"rbind\",\"ro\",\"rprivate\"]}" \
  "{\"destination\":\"/rw\",\"type\":\"bind\",\"source\":\"$T/vol\",\"options\":[\"rbind\",\"rw\",\"rprivate\"]}" \
  "{\"destination\":\"/sh\",\"source\":\"$T/shared\",\"options\":[\"rbind\",\"rshared\"]}" \
  "{\"destination\":\"/rro\",\"type\":\"bind\",\"source\":\"$T/shared\",\"options\":[\"rbind\",\"rro\",\"rprivate\"]}" \
  "{\"destination\":\"/nonrec\",\"type\":\"bind\",\"source\":\"$T/shared\",\"options\":[\"bind\",\"ro\",\"private\"]}" \
  "{\"destination\":\"/file.ro\",\"type\":\"bind\",\"source\":\"$T/vol/file\",\"options\":[\"bind\",\"ro\"]}" \
  "{\"destination\":\"/scratch\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"noexec\",\"nosuid\",\"nodev\",\"rprivate\",\"size=1m\",\"mode=0700\"]}")" \
  "$(docker_linux)"
out=$(probe "$T/binds.json" -- sh -c 'cat /proc/self/mountinfo; echo ---;
  echo x > /vol/new 2>&1 && echo vol-writable; echo x > /rw/new && echo rw-writable;
  echo x > /rro/sub/new 2>&1 && echo rro-sub-writable; echo x > /nonrec/new 2>&1 && echo nonrec-writable;
  cat /file.ro; echo x > /file.ro 2>&1 && echo file-writable; stat -c %a /scratch' 2>&1)
mi=${out%%---*}
res=${out#*---}
v=$(mountinfo_field "$mi" /vol opts)
check "ro bind is read-only" has_opt "$v" ro
check "ro bind kept the source's nosuid and nodev" eval 'has_opt $v nosuid && has_opt $v nodev'
check_contains "ro bind refuses writes" "Read-only file system" "$res"
check_contains "rw bind of the same source writes" rw-writable "$res"
check "rw bind stays rw" has_opt "$(mountinfo_field "$mi" /rw opts)" rw
check "rshared bind is shared" eval "grep -q ' /sh .*shared:' <<<\"\$mi\""
check "rprivate bind is not shared" eval "! grep -q ' /rro .*shared:' <<<\"\$mi\""
check "rro: the submount is read-only too" has_opt "$(mountinfo_field "$mi" /rro/sub opts)" ro
check "rro: writes below refused" eval "! grep -q rro-sub-writable <<<\"\$res\""
check "non-recursive bind has no submount" eval "! grep -q ' /nonrec/sub ' <<<\"\$mi\""
check "non-recursive ro bind refuses writes" eval "! grep -q nonrec-writable <<<\"\$res\""
check_contains "file bind (ro) readable" data "$res"
check "file bind (ro) refuses writes" eval "! grep -q file-writable <<<\"\$res\""
check_contains "tmpfs mode=0700" 700 "$res"
check "tmpfs noexec,nosuid,nodev" eval 'o=$(mountinfo_field "$mi" /scratch opts); has_opt $o noexec && has_opt $o nosuid && has_opt $o nodev'
check "host view of the ro source is still rw" eval "touch $T/vol/host-write"
check "host saw the rw bind's write" test -e "$T/vol/new"
check "nothing the container mounted propagated to the host" eval "! grep -q ' $T/rootfs' /proc/self/mountinfo"

# tmpcopyup: the tmpfs starts with the image's files (modes, links, owners).
mkdir -p "$ROOTFS/etc/app/sub"
echo "from the image" >"$ROOTFS/etc/app/conf"
chmod 0640 "$ROOTFS/etc/app/conf"
chown 1000:1000 "$ROOTFS/etc/app/sub"
ln -s conf "$ROOTFS/etc/app/link"
write_config "$T/copyup.json" "$(docker_mounts \
  '{"destination":"/etc/app","type":"tmpfs","source":"tmpfs","options":["tmpcopyup","nosuid","size=1m"]}' \
  '{"destination":"/dev/empty-copyup","type":"tmpfs","source":"tmpfs","options":["tmpcopyup","ro"]}')" "$(docker_linux)"
out=$(probe "$T/copyup.json" -- sh -c 'cat /etc/app/link; stat -c "%a %u" /etc/app/conf /etc/app/sub; echo new > /etc/app/new && echo writable;
  touch /dev/empty-copyup/x 2>&1; cat /proc/self/mountinfo' 2>&1)
check_contains "tmpcopyup: content copied (through the copied symlink)" "from the image" "$out"
check_contains "tmpcopyup: file mode kept" "640 0" "$out"
check_contains "tmpcopyup: directory owner kept" "755 1000" "$out"
check_contains "tmpcopyup: the tmpfs is writable" writable "$out"
check_eq "tmpcopyup: it is a tmpfs" tmpfs "$(mountinfo_field "$out" /etc/app fstype)"
check "tmpcopyup: nosuid applied" has_opt "$(mountinfo_field "$out" /etc/app opts)" nosuid
check_contains "tmpcopyup + ro: read-only" "Read-only file system" "$out"
check "tmpcopyup: the image's files are untouched" test ! -e "$ROOTFS/etc/app/new"

# A read-only /dev is populated first, then made read-only (runc's order).
write_config "$T/devro.json" "$(docker_mounts | sed 's|"strictatime","mode=755"|"strictatime","ro","mode=755"|')" "$(docker_linux)"
out=$(probe "$T/devro.json" -- sh -c 'stat -c %t:%T /dev/null; touch /dev/x 2>&1; cat /proc/self/mountinfo' 2>&1)
check_contains "ro /dev still has its devices" "1:3" "$out"
check_contains "ro /dev refuses writes" "Read-only file system" "$out"
check "ro /dev is ro in mountinfo" has_opt "$(mountinfo_field "$out" /dev opts)" ro

# Read-only root: / is ro, the tmpfs mounts on it are not.
write_config "$T/ro.json" "$(docker_mounts)" "$(docker_linux)" true
out=$(probe "$T/ro.json" -- sh -c 'touch /newfile 2>&1; touch /dev/shm/ok && echo shm-ok; cat /proc/self/mountinfo' 2>&1)
check_contains "readonly root refuses writes" "Read-only file system" "$out"
check_contains "tmpfs on a readonly root is writable" shm-ok "$out"
check "readonly root is ro in mountinfo" has_opt "$(mountinfo_field "$out" / opts)" ro
check "the rootfs itself was not made ro on the host" touch "$ROOTFS/host-write"

# rootfsPropagation applies to the mount namespace's copy of the host tree
# (runc's prepareRoot): with "rshared", a bind of a shared host mount stays in
# the host's peer group, so a mount made inside it shows up on the host.
write_config "$T/prop.json" "$(docker_mounts \
  "{\"destination\":\"/sh\",\"type\":\"bind\",\"source\":\"$T/shared\",\"options\":[\"rbind\",\"rshared\"]}")" \
  "$(docker_linux),\"rootfsPropagation\":\"rshared\""
probe "$T/prop.json" -- sh -c 'mkdir -p /sh/sub/from-container; mount -t tmpfs -o size=1m bottle-rootfs-prop /sh/sub/from-container' 2>&1
check "rootfsPropagation rshared: the container's mount reached the host" \
  eval "grep -q ' $T/shared/sub/from-container ' /proc/self/mountinfo"
umount "$T/shared/sub/from-container" 2>/dev/null
write_config "$T/noprop.json" "$(docker_mounts \
  "{\"destination\":\"/sh\",\"type\":\"bind\",\"source\":\"$T/shared\",\"options\":[\"rbind\",\"rshared\"]}")" \
  "$(docker_linux)"
probe "$T/noprop.json" -- sh -c 'mkdir -p /sh/sub/from-container2; mount -t tmpfs -o size=1m bottle-rootfs-prop /sh/sub/from-container2' 2>&1
check "default (rslave /): a container's mount never reaches the host" \
  eval "! grep -q ' $T/shared/sub/from-container2 ' /proc/self/mountinfo"
write_config "$T/badprop.json" "$(docker_mounts)" "$(docker_linux),\"rootfsPropagation\":\"sideways\""
out=$(probe "$T/badprop.json" -- true 2>&1)
check_contains "bad rootfsPropagation is named" "linux.rootfsPropagation" "$out"

# A rootfs whose path needs mountinfo escapes (a space), on its own mount,
# with rshared propagation: its parent mount must still be found and made
# private or pivot_root fails.
mkdir -p "$T/sp ace"
mount -t tmpfs -o size=16m bottle-rootfs-space "$T/sp ace"
cp -a "$ROOTFS" "$T/sp ace/rootfs"
out=$(PATH=/bin "$PROBE" "$T/prop.json" "$T/sp ace/rootfs" -- sh -c 'ls /bin/busybox' 2>&1)
check_contains "rootfs under a path with a space (rshared)" /bin/busybox "$out"
umount -l "$T/sp ace"

# --no-pivot: MS_MOVE + chroot gives the same view.
out=$(probe --no-pivot "$T/docker.json" -- sh -c 'cat /etc/hosts; ls /; grep -c " /proc " /proc/self/mountinfo')
check_contains "--no-pivot: container files" "192.0.2.10 probe-host" "$out"
check_contains "--no-pivot: root listing is the rootfs" "bin" "$out"

# Bad input is named.
write_config "$T/bad.json" '[{"destination":"relative","type":"tmpfs"}]' '"namespaces":[{"type":"mount"}]'
out=$(probe "$T/bad.json" -- true 2>&1)
check_contains "relative destination rejected" "must be an absolute path" "$out"
write_config "$T/bad2.json" '[{"destination":"/x","type":"tmpfs","options":["idmap"]}]' '"namespaces":[{"type":"mount"}]'
out=$(probe "$T/bad2.json" -- true 2>&1)
check_contains "unsupported option named" '"idmap"' "$out"
write_config "$T/bad3.json" '[{"destination":"/proc/sys","type":"bind","source":"/tmp","options":["rbind"]}]' '"namespaces":[{"type":"mount"}]'
out=$(probe "$T/bad3.json" -- true 2>&1)
check_contains "mount over /proc/sys refused" "mounting over /proc is not allowed" "$out"
write_config "$T/bad4.json" '[{"destination":"/x","type":"bind","source":"/nonexistent-bottle-src","options":["rbind"]}]' '"namespaces":[{"type":"mount"}]'
out=$(probe "$T/bad4.json" -- true 2>&1)
check_contains "missing bind source named" "/nonexistent-bottle-src" "$out"

finish

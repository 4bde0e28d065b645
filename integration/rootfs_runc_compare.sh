#!/usr/bin/env bash
# `bottle run` against `runc run` on the same busybox bundles (Docker's
# default mounts, masked and read-only paths, namespaces; plus binds with
# ro/propagation, a read-only root and extra devices): the container's
# mountinfo and `ls -l /dev` must match, field for field, except what
# differs by design (listed below).
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "$BOTTLE not built"
command -v runc >/dev/null || skip "runc not installed"

T=$(mktemp -d /tmp/bottle-rootfs-runc.XXXXXX)
cleanup() {
  for id in "${ids[@]}"; do
    "$BOTTLE" --root "$T/broot" delete --force "$id" >/dev/null 2>&1
    runc --root "$T/rroot" delete --force "$id" >/dev/null 2>&1
  done
  umount -l "$T/host/shared" 2>/dev/null
  # The runtimes remove the container cgroups, not the parent we named.
  for d in /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/"$CG_PARENT"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  rm -rf "$T"
}
ids=()
CG_PARENT=bottle-rootfs-cmp-$$
trap cleanup EXIT
mkdir -p "$T/host/vol"
echo "nameserver 192.0.2.53" >"$T/host/resolv.conf"
echo "vol" >"$T/host/vol/file"

# Normalised view: mount root, mount point, per-mount options, propagation
# tags (shared/master without their peer-group numbers), fstype, source,
# super options (IDs and device numbers differ between any two runs), then
# `ls -l /dev` without sizes and dates.
normalise() {
  sed "s|$T|T|g" | awk '
    /^---$/ { devs = 1; next }
    !devs {
      prop = ""
      for (i = 7; i <= NF && $i != "-"; i++) { t = $i; sub(/:[0-9]+$/, "", t); prop = prop t "," }
      print "mnt", $4, $5, $6, "[" prop "]", $(i + 1), $(i + 2), $(i + 3); next
    }
    { print "dev", $1, $3, $4, $5, $6, $NF }' | sort
}

# run_both NAME BUNDLE_EDIT [RUN FLAGS...]: runs the same bundle under both
# runtimes and compares; "bottle differs by design" lines are dropped from
# both first.
run_both() {
  local name=$1 edit=$2 b=$T/$1
  shift 2
  make_bundle "$b" sh -c 'cat /proc/self/mountinfo; echo ---; ls -l /dev'
  bundle_edit "$b" "$edit
c['linux']['cgroupsPath'] = '/$CG_PARENT/$name'"
  local id=rootfs-cmp-$name-$$
  ids+=("$id")
  (cd "$b" && timeout 30 "$BOTTLE" --root "$T/broot" run "$@" "$id" </dev/null >"$T/$name.bottle" 2>&1)
  local brc=$?
  (cd "$b" && timeout 30 runc --root "$T/rroot" run "$@" "$id" </dev/null >"$T/$name.runc" 2>&1)
  local rrc=$?
  check_eq "$name: bottle run exits like runc run" "$rrc" "$brc"
  # By design: bottle honours "ro" on the v1 /sys/fs/cgroup tmpfs (runc 1.1
  # leaves that tmpfs writable; the hierarchies under it are ro in both).
  # And rootfsPropagation reaches the new root as under crun (runc 1.1 leaves it private;
  # runtime_rootfs_propagation.sh compares that with crun).
  local by_design='^mnt / /sys/fs/cgroup [^ ]* \[[^]]*\] tmpfs |^mnt T/propagation/rootfs / '
  local bn rn
  bn=$(normalise <"$T/$name.bottle" | grep -v -E "$by_design")
  rn=$(normalise <"$T/$name.runc" | grep -v -E "$by_design")
  if [ "$bn" = "$rn" ]; then
    ok "$name: container mountinfo and /dev identical to runc's ($(wc -l <<<"$bn") lines)"
  else
    fail "$name: differs from runc"
    diff <(echo "$rn") <(echo "$bn") | sed 's/^/#   /'
  fi
  check "$name: the container listed mounts" grep -q ' /proc ' "$T/$name.bottle"
}

docker_edit="
ms = [
 {'destination':'/proc','type':'proc','source':'proc','options':['nosuid','noexec','nodev']},
 {'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']},
 {'destination':'/dev/pts','type':'devpts','source':'devpts','options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},
 {'destination':'/sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']},
 {'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['ro','nosuid','noexec','nodev']},
 {'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']},
 {'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','noexec','nodev','mode=1777','size=67108864']},
 {'destination':'/etc/resolv.conf','type':'bind','source':'$T/host/resolv.conf','options':['rbind','rprivate']},
]
c['mounts'] = ms
c['linux']['namespaces'] = [{'type': t} for t in ('mount','network','uts','pid','ipc','cgroup')]
c['linux']['maskedPaths'] = ['/proc/asound','/proc/acpi','/proc/kcore','/proc/keys','/proc/latency_stats',
  '/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/proc/scsi','/sys/firmware']
c['linux']['readonlyPaths'] = ['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']
"
run_both docker "$docker_edit"

run_both volumes "$docker_edit
c['mounts'] += [
 {'destination':'/vol','type':'bind','source':'$T/host/vol','options':['rbind','ro','rprivate']},
 {'destination':'/vol-rw','type':'bind','source':'$T/host/vol','options':['rbind','rslave']},
 {'destination':'/data/deep/file','type':'bind','source':'$T/host/vol/file','options':['bind','ro']},
 {'destination':'/scratch','type':'tmpfs','source':'tmpfs','options':['noexec','nosuid','nodev','rprivate','size=1m','mode=1777']},
]
c['root']['readonly'] = True
c['linux']['devices'] = [{'path':'/dev/fuse-test','type':'c','major':10,'minor':229,'fileMode':432,'uid':0,'gid':0},
                         {'path':'/dev/net/tun','type':'c','major':10,'minor':200}]
"

# Propagation: a shared source on the host, bound shared, slave and private.
mkdir -p "$T/host/shared"
mount -t tmpfs -o size=1m bottle-rootfs-cmp "$T/host/shared"
mount --make-shared "$T/host/shared"
run_both propagation "$docker_edit
c['mounts'] += [
 {'destination':'/p-shared','type':'bind','source':'$T/host/shared','options':['rbind','rshared']},
 {'destination':'/p-slave','type':'bind','source':'$T/host/shared','options':['rbind','rslave']},
 {'destination':'/p-private','type':'bind','source':'$T/host/shared','options':['rbind','rprivate']},
 {'destination':'/p-unbindable','type':'bind','source':'$T/host/shared','options':['bind','unbindable']},
]
c['linux']['rootfsPropagation'] = 'shared'
"
umount -l "$T/host/shared"

run_both nopivot "$docker_edit" --no-pivot

# A user namespace (identity map, so the bundle's files stay usable):
# devices are bind-mounted from the host by both.
if unshare --user true 2>/dev/null; then
  run_both userns "$docker_edit
c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 0, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 0, 'size': 65536}]
"
fi

run_both nocgroupns "$docker_edit
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'cgroup']
"

finish

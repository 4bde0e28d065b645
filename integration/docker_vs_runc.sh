#!/usr/bin/env bash
# The same docker run, once with --runtime=bottle and once with the stock runc:
# what the container sees (credentials, capabilities, seccomp, mounts, devices,
# env, limits, sysctls, masked and read-only paths, cgroups, namespaces) must be
# identical, for Docker's default container and for the common options.
. "$(dirname "$0")/../tests/lib.sh"
. "$(dirname "$0")/engines.lib.sh"
need_root
engines_init docker-vs
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE
vol=$_engine_tmp/vol
mkdir -p "$vol" && echo data >"$vol/file"

# What a container can observe about itself (mount lists sorted: the order of
# independent mounts is not observable). Each line is prefixed by its topic
# so a difference says where it is.
# shellcheck disable=SC2016 # expanded inside the container
PROBE='
p() { sed "s|^|$1: |"; }
grep -E "^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters)" /proc/self/status | p status
awk "{ o = \$4; if (\$3 == \"overlay\") sub(/,lowerdir=.*/, \"\", o); print \$1, \$2, \$3, o }" /proc/self/mounts | sort | p mount
awk "{ s = \"\"; for (i = 7; \$i != \"-\"; i++) { f = \$i; sub(/:[0-9]+/, \"\", f); s = s \" \" f }; print \$5, s }" /proc/self/mountinfo | sort | p propagation
for f in /dev/* /dev/pts/* /dev/mqueue /dev/shm; do stat -c "%n %F %a %u %g %t:%T" "$f"; done | p dev
ls -la /dev/fd /dev/stdin /dev/stdout /dev/stderr /dev/ptmx /dev/core 2>&1 | awk "{ print \$1, \$NF }" | p devlink
env | grep -v "^HOSTNAME=" | sort | p env
echo "hostname length $(hostname | wc -c) domain $(cat /proc/sys/kernel/domainname)" | p uts
(ulimit -a; echo "umask $(umask)"; echo "oom $(cat /proc/self/oom_score_adj)") | p limits
for s in net/ipv4/ip_unprivileged_port_start net/ipv4/ping_group_range net/ipv4/ip_forward kernel/shmmax; do
  echo "$s $(cat /proc/sys/$s)"; done | p sysctl
for m in /proc/kcore /proc/keys /proc/timer_list /proc/acpi /proc/scsi /sys/firmware /proc/asound; do
  echo "$m $(stat -c "%F %s" $m 2>&1) $(ls $m 2>&1 | head -n 3 | tr "\n" " ")"; done | p masked
for r in /proc/sysrq-trigger /proc/sys/kernel/hostname /proc/irq /proc/bus; do
  (echo x >$r) 2>&1 | sed "s/.*: //" | sed "s|^|$r |"; done | p readonly
touch /probe-root 2>&1 | sed "s/.*: //" | p rootfs
cat /proc/self/cgroup | p cgroup
ls /sys/fs/cgroup | p cgroupfs
grep -E "^(cgroup|tmpfs) /sys/fs/cgroup" /proc/self/mounts | awk "{ print \$2, \$4 }" | p cgroupmounts
for n in mnt uts ipc pid net cgroup user; do
  if [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n 2>/dev/null)" ]; then echo "$n same-as-pid1"; fi; done | p ns
echo "pid1 $(cat /proc/1/comm) ppid $(awk "/^PPid/ { print \$2 }" /proc/1/status)" | p pid
ls /proc/self/fd | wc -l | p fds
echo "cwd $(pwd) home $HOME id $(id)" | p id
unshare -U true 2>&1 | sed "s/^/unshare -U: /" | p seccomp
ls /sys/class/net | p net
cat /etc/hostname /etc/hosts /etc/resolv.conf 2>&1 | wc -l | p etcfiles
'

normalise() { sed -E 's/[0-9a-f]{64}/ID/g; s/[0-9a-f]{12}/ID12/g'; }
probe() {
  local runtime=$1; shift
  dk run --rm --runtime="$runtime" "$@" "$IMG" sh -c "$PROBE" 2>&1 | normalise
}

compare() {
  local what=$1; shift
  local a b
  a=$(probe bottle "$@")
  b=$(probe runc-ref "$@")
  if [ "$a" = "$b" ] && [ -n "$a" ]; then
    ok "same as runc: $what"
  else
    fail "differs from runc: $what"
    diff <(echo "$b") <(echo "$a") | sed 's/^</   runc  /; s/^>/   bottle/' | grep -E '^   (runc|bottle)' | cut -c1-240
  fi
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

# shellcheck shell=bash disable=SC2034 # variables set here are used by the sourcing test
# Real engines for tests: a private dockerd (with the containerd it spawns) and a
# private containerd for ctr, each under one temp dir that is removed on exit.
#
# Source after tests/lib.sh. Then:
#   engines_init NAME            temp dir $ENGINE_TMP + EXIT trap (idempotent); cgroup
#                                parent $ENGINE_CGROUP_PARENT; NAME goes in both
#   docker_start                 dockerd with runtimes "bottle" (= $ENGINE_RUNTIME_PATH)
#                                and "runc-ref" (the stock runc); sets $DOCKER_HOST_SOCK
#                                and $DOCKER_RUNTIME_ROOT (the --root dockerd gives runtimes)
#   dk ARGS...                   the docker 20.10 client against that daemon
#   docker_busybox_image         imports the busybox image as $ENGINE_IMAGE
#   containerd_start             private containerd; sets $CTR_SOCK and $CTR_RUNTIME_ROOT
#   c ARGS...                    ctr against it, namespace $CTR_NS
#   ctr_busybox_image            imports the same rootfs as an OCI image $ENGINE_CTR_IMAGE
#   engines_busybox_rootfs DIR   busybox-static rootfs (all applets, /etc/passwd, /tmp)
#   ENGINE_PROBE, engines_compare  run one probe under bottle and runc, diff the output
#   engines_cg_in KEY / engines_cg_host KEY ID / engines_cg_dir ID
#                                cgroup v1/hybrid or v2 paths for memory, pids, cpuset,
#                                shares, quota, freezer (inside a container / on the host)
#   engines_cleanup              what the trap runs: everything started is stopped,
#                                every mount under the temp dir unmounted, dirs removed
#
# The daemons are background children of the test's shell: wait for your own
# pids (`wait "$pid"`), never a bare `wait`, which would block on dockerd.
#
# engines_init exports BOTTLE_CONFIG=<tmp>/bottle.json holding {"mode": "plain"}:
# the daemons started afterwards pass it down to every bottle they run. A test of
# bottled mode writes its own config and exports BOTTLE_CONFIG before docker_start
# or containerd_start.
#
# Knobs (environment):
#   ENGINE_RUNTIME_PATH   runtime binary registered as "bottle" (default $BOTTLE);
#                         set it to /usr/sbin/runc to prove a test against runc
#   ENGINE_KEEP=1         leave the temp dir (logs) behind for debugging
#   ENGINE_DOCKER_BRIDGE_CIDR=ADDR/LEN
#                         give dockerd a default bridge: a private Linux bridge
#                         btbr<pid> holding ADDR/LEN (pick a TEST-NET block no
#                         other test routes), removed on exit; containers without
#                         --network then get a veth on it. Default: no bridge.
#
# Design: each test file starts its own daemons. dockerd 20.10 with a managed
# containerd is ready in well under a second here, so isolation costs little and
# needs no cross-test coordination. The daemon changes nothing on the host network:
# no default bridge, no iptables rules, no masquerading, no ip_forward; containers
# get a private netns ("default" mode with bridge=none, or --network none, which
# also carries Docker's libnetwork-setkey prestart hook). Cgroups go under a
# per-test parent (/bottle-test-NAME-PID) so leftovers can be detected and removed.

ENGINE_DOCKER_BIN=${ENGINE_DOCKER_BIN:-/usr/bin/docker}
ENGINE_DOCKERD_BIN=${ENGINE_DOCKERD_BIN:-/usr/sbin/dockerd}
ENGINE_RUNTIME_PATH=${ENGINE_RUNTIME_PATH:-$BOTTLE}
ENGINE_IMAGE=bottle-busybox:test
_engine_tmp="" _engine_name="" _engine_cgroup_parent=""
_dockerd_pid="" _containerd_pid="" _engine_bridge=""

engines_init() {
  [ -n "$_engine_tmp" ] && return 0
  _engine_name=${1:-engine}
  # Short path: socket paths under it must stay below 108 bytes.
  _engine_tmp=$(mktemp -d "/tmp/bt-$_engine_name.XXXXXX")
  chmod 0711 "$_engine_tmp" # user-namespaced containers must reach their rootfs
  _engine_cgroup_parent=/bottle-test-$_engine_name-$$
  ENGINE_TMP=$_engine_tmp ENGINE_CGROUP_PARENT=$_engine_cgroup_parent
  trap engines_cleanup EXIT
  trap 'exit 130' INT TERM
  # bottled mode (issue 5) is the default; engine conformance runs containers plain.
  printf '{"mode": "plain"}\n' >"$_engine_tmp/bottle.json"
  export BOTTLE_CONFIG=$_engine_tmp/bottle.json
  _engine_check_cgroup_mounts
}

# A v1 hierarchy that exists but is mounted nowhere (e.g. hugetlb after someone
# mounted it for crun and unmounted it again) makes containerd fail every stats
# read with "cannot find cgroup mount destination". Say so up front.
_engine_check_cgroup_mounts() {
  local id ctrls _ c opts
  opts=$(awk '/ - cgroup / { print $NF }' /proc/self/mountinfo | tr '\n' ',')
  while IFS=: read -r id ctrls _; do
    [ "$id" = 0 ] && continue
    for c in ${ctrls//,/ }; do
      case ",$opts" in *",$c,"*) ;; *)
        echo "warning: cgroup v1 hierarchy '$c' exists but is not mounted; docker stats will fail." \
          "Fix: mkdir -p /sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c" >&2 ;;
      esac
    done
  done </proc/self/cgroup
}

engines_need() {
  local b
  for b in "$@"; do [ -x "$b" ] || command -v "$b" >/dev/null 2>&1 || skip "needs $b"; done
}

engines_busybox_rootfs() {
  local dir=$1 applet busybox
  busybox=$(command -v busybox) || skip "needs busybox-static"
  ldd "$busybox" >/dev/null 2>&1 && skip "needs busybox-static ($busybox is dynamic)"
  mkdir -p "$dir"/{bin,etc,tmp,proc,sys,dev,root,home/user}
  chmod 1777 "$dir/tmp"
  cp "$busybox" "$dir/bin/busybox"
  for applet in $("$dir/bin/busybox" --list); do
    [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$dir/etc/group"
  chown 1000:1000 "$dir/home/user"
  # For the runtimes' exec error paths (docker maps them to 126/127).
  printf '#!/bin/sh\necho should not run\n' >"$dir/bin/not-executable"
  chmod 0644 "$dir/bin/not-executable"
}

# ---- cgroups: v1/hybrid or v2 -----------------------------------------------

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then ENGINE_CGROUP2=1; else ENGINE_CGROUP2=0; fi
if [ "$ENGINE_CGROUP2" = 1 ]; then
  ENGINE_CG_FROZEN=1 ENGINE_CG_THAWED=0
else
  ENGINE_CG_FROZEN=FROZEN ENGINE_CG_THAWED=THAWED
fi

# The file(s) behind a resource, relative to a container's cgroup: "controller/file"
# on v1, "file" on v2. Keys: memory pids cpuset shares quota freezer.
_engine_cg_rel() {
  if [ "$ENGINE_CGROUP2" = 1 ]; then
    case $1 in
      memory) echo memory.max ;; pids) echo pids.max ;; cpuset) echo cpuset.cpus ;;
      shares) echo cpu.weight ;; quota) echo cpu.max ;; freezer) echo cgroup.freeze ;;
    esac
  else
    case $1 in
      memory) echo memory/memory.limit_in_bytes ;; pids) echo pids/pids.max ;;
      cpuset) echo cpuset/cpuset.cpus ;; shares) echo cpu/cpu.shares ;;
      quota) echo "cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us" ;; freezer) echo freezer/freezer.state ;;
    esac
  fi
}

# A shell command that prints KEY's value(s) inside a container (its own
# /sys/fs/cgroup view), space-separated: run IMG sh -c "$(engines_cg_in memory)".
engines_cg_in() {
  local f files=""
  for f in $(_engine_cg_rel "$1"); do files="$files /sys/fs/cgroup/$f"; done
  echo "echo \$(cat$files)"
}

# KEY's value(s) for container ID, read on the host.
engines_cg_host() {
  local f out=""
  for f in $(_engine_cg_rel "$1"); do
    if [ "$ENGINE_CGROUP2" = 1 ]; then
      out="$out $(cat "/sys/fs/cgroup$_engine_cgroup_parent/$2/$f" 2>&1)"
    else
      out="$out $(cat "/sys/fs/cgroup/${f%%/*}$_engine_cgroup_parent/$2/${f#*/}" 2>&1)"
    fi
  done
  echo "${out# }"
}

# Container ID's cgroup directory (the memory hierarchy's on v1).
engines_cg_dir() {
  if [ "$ENGINE_CGROUP2" = 1 ]; then
    echo "/sys/fs/cgroup$_engine_cgroup_parent/$1"
  else
    echo "/sys/fs/cgroup/memory$_engine_cgroup_parent/$1"
  fi
}

# Every hierarchy root (v1 and hybrid: one per mount; v2: the single tree).
_engine_cg_roots() {
  if [ "$ENGINE_CGROUP2" = 1 ]; then echo /sys/fs/cgroup/; else printf '%s\n' /sys/fs/cgroup/*/; fi
}

# ---- comparing runtimes ------------------------------------------------------

# What a container can observe about itself (mount lists sorted: the order of
# independent mounts is not observable). Each line is prefixed by its topic
# so a difference says where it is.
# shellcheck disable=SC2016 # expanded inside the container
ENGINE_PROBE='
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

# Container ids differ between two runs; nothing else may.
# One difference from runc is by design: Docker asks for /sys/fs/cgroup "ro"; on cgroup v1
# runc 1.1 leaves that tmpfs writable (only the hierarchies in it are read-only) and bottle
# honours the "ro" (docs/runtime.md). The comparison maps it away; rootfs tests check the ro.
engines_normalise() {
  sed -E 's/[0-9a-f]{64}/ID/g; s/[0-9a-f]{12}/ID12/g
    s#^(mount: tmpfs /sys/fs/cgroup tmpfs |cgroupmounts: /sys/fs/cgroup )ro,#\1rw,#'
}

# engines_compare WHAT CMD-FOR-bottle... -- CMD-FOR-runc...: ok when both run
# $ENGINE_PROBE and print the same.
engines_compare() {
  local what=$1 a b; shift
  local -a left=() right=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do left+=("$1"); shift; done
  shift
  right=("$@")
  a=$("${left[@]}" 2>&1 | engines_normalise)
  b=$("${right[@]}" 2>&1 | engines_normalise)
  if [[ $b != *"status: Uid:"* ]]; then
    fail "the probe did not run under runc: $what"
    echo "$b" | tail -n 5 | sed 's/^/   runc  /'
  elif [ "$a" = "$b" ]; then
    ok "same as runc: $what"
  else
    fail "differs from runc: $what"
    diff <(echo "$b") <(echo "$a") | sed 's/^</   runc  /; s/^>/   bottle/' | grep -E '^   (runc|bottle)' | cut -c1-240
  fi
}

# ---- dockerd ---------------------------------------------------------------

# dockerd warns on every run that ip_forward is off; that is deliberate here.
dk() { "$ENGINE_DOCKER_BIN" -H "unix://$DOCKER_HOST_SOCK" "$@" 2> >(grep -v 'IPv4 forwarding is disabled' >&2); }

docker_start() {
  engines_need "$ENGINE_DOCKERD_BIN" "$ENGINE_DOCKER_BIN" containerd containerd-shim-runc-v2
  [ -x "$ENGINE_RUNTIME_PATH" ] || { echo "runtime under test not built: $ENGINE_RUNTIME_PATH"; exit 1; }
  local d=$_engine_tmp/docker i
  mkdir -p "$d"
  DOCKER_HOST_SOCK=$d/docker.sock
  # dockerd passes --root <exec-root>/runtime-runc/moby to every runtime.
  DOCKER_RUNTIME_ROOT=$d/exec/runtime-runc/moby
  local bridge=none
  if [ -n "${ENGINE_DOCKER_BRIDGE_CIDR:-}" ]; then
    # A private bridge, never docker0: dockerd takes its address as the gateway
    # and allocates container addresses from its subnet. Still no iptables.
    _engine_bridge=btbr$$
    ip link add "$_engine_bridge" type bridge &&
      ip addr add "$ENGINE_DOCKER_BRIDGE_CIDR" dev "$_engine_bridge" &&
      ip link set "$_engine_bridge" up || { echo "cannot create bridge $_engine_bridge"; exit 1; }
    bridge=$_engine_bridge
  fi
  cat >"$d/daemon.json" <<EOF
{
  "runtimes": {
    "bottle": {"path": "$ENGINE_RUNTIME_PATH"},
    "runc-ref": {"path": "$(command -v runc)"}
  },
  "bridge": "$bridge",
  "iptables": false,
  "ip-masq": false,
  "ip-forward": false,
  "storage-driver": "overlay2",
  "cgroup-parent": "$_engine_cgroup_parent",
  "exec-opts": ["native.cgroupdriver=cgroupfs"]
}
EOF
  "$ENGINE_DOCKERD_BIN" --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" \
    --pidfile "$d/dockerd.pid" -H "unix://$DOCKER_HOST_SOCK" >"$d/dockerd.log" 2>&1 &
  _dockerd_pid=$!
  for i in $(seq 300); do
    dk info >/dev/null 2>&1 && return 0
    kill -0 "$_dockerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "dockerd did not come up; its log:"
  tail -n 30 "$d/dockerd.log"
  exit 1
}

docker_busybox_image() {
  local root=$_engine_tmp/rootfs
  [ -d "$root/bin" ] || engines_busybox_rootfs "$root"
  tar -C "$root" --numeric-owner -c . | dk import - "$ENGINE_IMAGE" >/dev/null
}

docker_log() { cat "$_engine_tmp/docker/dockerd.log"; }

docker_stop() {
  [ -n "$_dockerd_pid" ] || return 0
  local ids
  ids=$(dk ps -aq 2>/dev/null)
  # shellcheck disable=SC2086 # ids are plain hex words
  [ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1
  _engine_stop_pid "$_dockerd_pid" 20
  _dockerd_pid=""
}

# ---- containerd ------------------------------------------------------------

CTR_NS=bottle-test
c() { ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"; }

containerd_start() {
  engines_need containerd ctr containerd-shim-runc-v2
  [ -x "$ENGINE_RUNTIME_PATH" ] || { echo "runtime under test not built: $ENGINE_RUNTIME_PATH"; exit 1; }
  local d=$_engine_tmp/containerd i
  mkdir -p "$d"
  CTR_SOCK=$d/c.sock
  # For ctr --runc-root (the shim's default is the host's /run/containerd/runc).
  CTR_RUNTIME_ROOT=$d/runtime-root
  cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = "$d/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
  containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
  _containerd_pid=$!
  for i in $(seq 300); do
    ctr -a "$CTR_SOCK" version >/dev/null 2>&1 && return 0
    kill -0 "$_containerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "containerd did not come up; its log:"
  tail -n 30 "$d/containerd.log"
  exit 1
}

containerd_log() { cat "$_engine_tmp/containerd/containerd.log"; }

# An OCI image layout tar (one layer) that `ctr image import` accepts.
ctr_busybox_image() {
  local root=$_engine_tmp/rootfs oci=$_engine_tmp/oci layer config manifest lsize csize msize diffid
  [ -d "$root/bin" ] || engines_busybox_rootfs "$root"
  mkdir -p "$oci/blobs/sha256"
  tar -C "$root" --numeric-owner -c . >"$oci/layer.tar"
  diffid=$(sha256sum "$oci/layer.tar" | cut -d' ' -f1)
  layer=$diffid lsize=$(stat -c %s "$oci/layer.tar")
  mv "$oci/layer.tar" "$oci/blobs/sha256/$layer"
  printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$(_engine_goarch)" "$diffid" >"$oci/config.json"
  config=$(sha256sum "$oci/config.json" | cut -d' ' -f1) csize=$(stat -c %s "$oci/config.json")
  mv "$oci/config.json" "$oci/blobs/sha256/$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config" "$csize" "$layer" "$lsize" >"$oci/manifest.json"
  manifest=$(sha256sum "$oci/manifest.json" | cut -d' ' -f1) msize=$(stat -c %s "$oci/manifest.json")
  mv "$oci/manifest.json" "$oci/blobs/sha256/$manifest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"%s","os":"linux"}}]}' \
    "$manifest" "$msize" "docker.io/library/$ENGINE_IMAGE" "$(_engine_goarch)" >"$oci/index.json"
  tar -C "$oci" -cf "$_engine_tmp/image.tar" oci-layout index.json blobs
  c image import "$_engine_tmp/image.tar" >/dev/null
  ENGINE_CTR_IMAGE=docker.io/library/$ENGINE_IMAGE
}

_engine_goarch() {
  case $(uname -m) in x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac
}

containerd_stop() {
  [ -n "$_containerd_pid" ] || return 0
  local t
  for t in $(c task ls -q 2>/dev/null); do c task kill -s SIGKILL "$t" >/dev/null 2>&1; done
  sleep 0.2
  for t in $(c task ls -q 2>/dev/null); do c task delete -f "$t" >/dev/null 2>&1; done
  for t in $(c container ls -q 2>/dev/null); do c container delete "$t" >/dev/null 2>&1; done
  _engine_stop_pid "$_containerd_pid" 10
  _containerd_pid=""
}

# ---- cleanup ---------------------------------------------------------------

_engine_stop_pid() {
  local pid=$1 secs=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  echo "warning: pid $pid ignored SIGTERM for ${secs}s; killing it"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# Processes this test started that outlive their daemon: shims (and their
# containers) name our temp dir in their argv; anything left in our cgroups.
_engine_leftover_pids() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$_engine_tmp/" && echo "${p#/proc/}"
  done
  local h
  for h in $(_engine_cg_roots); do cat "$h${_engine_cgroup_parent#/}"/*/cgroup.procs 2>/dev/null; done
}

engines_cleanup() {
  local rc=$? pid m h dir
  trap - EXIT
  [ -n "$_engine_tmp" ] || exit "$rc"
  docker_stop
  containerd_stop
  for pid in $(_engine_leftover_pids | sort -un); do
    [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
  done
  sleep 0.1
  # Overlay rootfs, shm and netns mounts left by a daemon that died uncleanly.
  for m in $(awk -v t="$_engine_tmp/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  [ -z "$_engine_bridge" ] || ip link del "$_engine_bridge" 2>/dev/null
  for h in $(_engine_cg_roots); do
    dir=$h${_engine_cgroup_parent#/}
    [ -d "$dir" ] || continue
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  if [ "${ENGINE_KEEP:-0}" = 1 ]; then
    echo "kept $_engine_tmp"
  else
    rm -rf "$_engine_tmp"
  fi
  exit "$rc"
}

# Fails (as a check) if the per-test cgroup parent still holds container cgroups.
engines_check_no_leftover_cgroups() {
  local h leftover=""
  for h in $(_engine_cg_roots); do
    [ -d "$h${_engine_cgroup_parent#/}" ] || continue
    [ -n "$(find "$h${_engine_cgroup_parent#/}" -mindepth 1 -type d 2>/dev/null)" ] && leftover="$leftover ${h#/sys/fs/cgroup/}"
  done
  check_eq "no container cgroups left under $_engine_cgroup_parent" "" "${leftover# }"
}

# Shared setup for integration/rootfs_*.sh: a busybox-static rootfs in a
# private temp dir, config.json writers, and `probe`, which runs the
# runtime's rootfs code (tests/helpers/rootfs_probe) on them.
#
#   rootfs_setup                 makes $T (temp dir, removed on exit) and $ROOTFS
#   write_config FILE MOUNTS LINUX [READONLY]
#                                MOUNTS: JSON array; LINUX: JSON object members
#   probe [--no-pivot] [--console] CONFIG -- CMD...
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"

need_root
PROBE=${PROBE:-$BUILD/tests/rootfs_probe}
[ -x "$PROBE" ] || skip "$PROBE not built (make)"
BUSYBOX=$(command -v busybox) || skip "busybox-static not installed"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
  ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || skip "busybox is not static"

# Docker 20.10's default mounts and linux section (runc/docker-20.10-default-config.example.json),
# with its bind sources replaced by files of the test.
docker_mounts() {
  cat <<EOF
[
 {"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
 {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
 {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
 {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
 {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro","nosuid","noexec","nodev"]},
 {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
 {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=67108864"]},
 {"destination":"/etc/resolv.conf","type":"bind","source":"$T/host/resolv.conf","options":["rbind","rprivate"]},
 {"destination":"/etc/hostname","type":"bind","source":"$T/host/hostname","options":["rbind","rprivate"]},
 {"destination":"/etc/hosts","type":"bind","source":"$T/host/hosts","options":["rbind","rprivate"]}
EOF
  [ $# -gt 0 ] && printf ',%s\n' "$@"
  echo "]"
}

docker_linux() {
  cat <<'EOF'
"namespaces":[{"type":"mount"},{"type":"network"},{"type":"uts"},{"type":"pid"},{"type":"ipc"},{"type":"cgroup"}],
"maskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list",
  "/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],
"readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]
EOF
}

rootfs_cleanup() {
  [ -n "${T:-}" ] || return 0
  # Anything a failed check left mounted on the host side (the probe's
  # mounts live in its own namespace and vanish with it).
  grep -o " $T[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null
  done
  rm -rf "$T"
}

rootfs_setup() {
  T=$(mktemp -d "/tmp/bottle-rootfs.$(basename "$0" .sh).XXXXXX")
  trap rootfs_cleanup EXIT
  ROOTFS=$T/rootfs
  mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$T/host"
  cp "$BUSYBOX" "$ROOTFS/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ -e "$ROOTFS/bin/$applet" ] || ln -s busybox "$ROOTFS/bin/$applet"
  done
  echo "nameserver 192.0.2.53" >"$T/host/resolv.conf"
  echo "probe-host" >"$T/host/hostname"
  echo "192.0.2.10 probe-host" >"$T/host/hosts"
}

# write_config FILE MOUNTS_JSON LINUX_MEMBERS [readonly(true|false)]
write_config() {
  cat >"$1" <<EOF
{"ociVersion":"1.0.2-dev","root":{"path":"rootfs","readonly":${4:-false}},
 "mounts":$2,
 "linux":{$3}}
EOF
}

probe() {
  local opts=()
  while [ "${1#--}" != "$1" ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  local config=$1; shift
  [ "$1" = "--" ] && shift
  PATH=/bin "$PROBE" "${opts[@]}" "$config" "$ROOTFS" -- "$@"
}

# mountinfo_field MOUNTINFO MOUNTPOINT FIELD: "opts" (per-mount options),
# "fstype", "super" (superblock options), "root" or "dev" (major:minor) of
# the last mount there.
mountinfo_field() {
  awk -v mp="$2" -v want="$3" '
    $5 == mp { for (i = 7; i <= NF && $i != "-"; i++); r["opts"] = $6; r["root"] = $4; r["dev"] = $3;
               r["fstype"] = $(i + 1); r["super"] = $(i + 3); line = 1 }
    END { if (line) print r[want] }' <<<"$1"
}

# has_opt LIST OPT: comma-separated LIST contains OPT
has_opt() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }

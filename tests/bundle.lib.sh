# Shared test fixture: busybox-static OCI bundles. Source it (after tests/lib.sh).
#
#   make_bundle DIR [args...]
#       Builds DIR/rootfs (busybox-static at /bin/busybox plus symlinks for the
#       common applets, /etc/passwd and /etc/group with root (0) and user
#       "user" (1000:1000, home /home/user), /tmp, /home/user) and DIR/config.json:
#       runc's `spec` template with terminal=false, a writable root, no
#       capability ambient set, hostname "bottle-test", the given args
#       (default: sh), and cgroupsPath /bottle-test/<basename of DIR>.
#       Rootfs files are hard links or copies; DIR must not exist or be empty.
#
#   bundle_edit DIR JQ-LIKE-PYTHON
#       Edits DIR/config.json with a Python expression over `c` (the dict), e.g.
#       bundle_edit "$b" 'c["process"]["user"]={"uid":1000,"gid":1000}'
#
#   bundle_cgroup DIR
#       Prints the bundle's cgroupsPath (e.g. /bottle-test/b-1234).
#
#   docker_seccomp CAPS-JSON [NAMES-TO-DROP]
#       Prints linux.seccomp the way dockerd 20.10's setupSeccomp builds it from
#       tests/fixtures/seccomp-docker-default.json for amd64 and the capability
#       set CAPS-JSON (judged on the bounding set), without the syscall names
#       in the space-separated NAMES-TO-DROP. DOCKER_CAPS is dockerd's default
#       capability set, as JSON.
#
#   bottle_plain_mode DIR
#       Writes DIR/bottle-config.json = {"mode": "plain"} and exports
#       BOTTLE_CONFIG to it, so `bottle create/run` make plain OCI containers
#       (no pipelock sidecar) whatever the machine's defaults are.
#
# Requires busybox (static) and python3; skips the test (exit 77) otherwise.

BUSYBOX_STATIC=${BUSYBOX_STATIC:-}

_find_busybox() {
  [ -n "$BUSYBOX_STATIC" ] && return 0
  local b
  for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX_STATIC=$b; return 0; fi
  done
  return 1
}

make_bundle() {
  local dir=$1; shift
  _find_busybox || { echo "skipped: busybox-static not installed"; exit 77; }
  command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 77; }
  mkdir -p "$dir/rootfs"
  local r=$dir/rootfs a
  mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/etc" "$r/tmp" "$r/home/user" "$r/root" \
    "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/var"
  chmod 1777 "$r/tmp"
  chown 1000:1000 "$r/home/user"
  cp "$BUSYBOX_STATIC" "$r/bin/busybox"
  for a in sh ash cat echo ls ps id sleep true false env pwd mkdir rm touch grep sed awk \
    hostname mount umount readlink stat head tail wc sort uniq tr cut kill test \
    printf tty stty date uname whoami chmod chown ln cp mv dd find xargs nproc \
    ip ping nc wget timeout seq basename dirname yes nsenter unshare top free df; do
    ln -sf busybox "$r/bin/$a"
  done
  cat >"$r/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
  cat >"$r/etc/group" <<'GR'
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
GR
  echo "bottle-test" >"$r/etc/hostname"
  local name; name=$(basename "$dir")
  python3 - "$dir/config.json" "$name-$$" "$@" <<'PY'
import json, sys
path, name, args = sys.argv[1], sys.argv[2], sys.argv[3:] or ["sh"]
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
c = {
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": True,
  },
  "root": {"path": "rootfs", "readonly": False},
  "hostname": "bottle-test",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
  ],
  "linux": {
    "resources": {"devices": [{"allow": False, "access": "rwm"}]},
    "cgroupsPath": "/bottle-test/" + name,
    "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
  },
}
with open(path, "w") as f:
    json.dump(c, f, indent=2)
PY
}

bundle_edit() {
  local dir=$1 expr=$2
  python3 - "$dir/config.json" "$expr" <<'PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(expr)
json.dump(c, open(path, "w"), indent=2)
PY
}

bottle_plain_mode() {
  printf '{"mode": "plain"}\n' >"$1/bottle-config.json"
  export BOTTLE_CONFIG=$1/bottle-config.json
}

bundle_cgroup() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["linux"]["cgroupsPath"])' "$1/config.json"
}

DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
"CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT",
"CAP_KILL","CAP_AUDIT_WRITE"]'
docker_seccomp() {
  python3 - "$BOTTLE_TOP/tests/fixtures/seccomp-docker-default.json" "$1" "${2:-}" <<'PY'
import json, os, sys
p = json.load(open(sys.argv[1])); caps = set(json.loads(sys.argv[2])); drop = set(sys.argv[3].split())
kernel = tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])
out = {"defaultAction": p["defaultAction"], "architectures": [], "syscalls": []}
for a in p["archMap"]:
    if a["architecture"] == "SCMP_ARCH_X86_64":
        out["architectures"] += [a["architecture"]] + a["subArchitectures"]
for s in p["syscalls"]:
    inc, exc = s.get("includes") or {}, s.get("excludes") or {}
    if "amd64" in (exc.get("arches") or []) or caps & set(exc.get("caps") or []):
        continue
    if inc.get("arches") and "amd64" not in inc["arches"]:
        continue
    if not set(inc.get("caps") or []) <= caps:
        continue
    if inc.get("minKernel") and kernel < tuple(int(x) for x in inc["minKernel"].split(".")):
        continue
    rule = {k: s[k] for k in ("names", "action", "errnoRet", "args") if k in s}
    rule["names"] = [n for n in s["names"] if n not in drop]
    if rule["names"]:
        out["syscalls"].append(rule)
print(json.dumps(out))
PY
}

# Helpers shared by the bottled tests under real engines (docker_bottled.sh,
# containerd_bottled.sh). Source after setting ROOT (the engine's --root for bottle) and
# after entering the test's private host netns.
#
#   nname ID        netns/'s name for a container id under ROOT (bind mounts, links, cgroups)
#   sidecar_pid ID  the sidecar's host pid (its state lives under <ROOT>/.bottle/<ID>/state)
#   track ID        remember an id: snapshot looks for what it can leave
#   snapshot        links, addresses, routes, nft rules and net sysctls of this netns; netns
#                   bind mounts and records, sidecar cgroups, mounts, processes and state
#                   machine-wide, filtered by the tracked names
#   left_behind WHAT  passes when snapshot equals the one taken in $before

nname() {
  python3 - "$ROOT" "$1" <<'PY'
import sys
h = 1469598103934665603
for ch in (sys.argv[1] + "/" + sys.argv[2]).encode():
    h = ((h ^ ch) * 1099511628211) & (2**64 - 1)
print("%016x" % h)
PY
}

sidecar_pid() {
  "$BOTTLE" --root "$ROOT/.bottle/$1/state" state sidecar |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}

names=()
track() { names+=("$(nname "$1")"); }

snapshot() {
  ip -o link show | awk '{print $2}'
  ip -o addr show
  ip route show table all | sed 's/ linkdown//'
  nft list ruleset
  sysctl net.ipv4.ip_forward net.ipv4.conf 2>/dev/null | grep -v '^net.ipv4.conf.veth'
  local n p
  for n in "${names[@]}"; do
    find /run/bottle/netns /run/bottle/netns-state -maxdepth 1 -name "*$n*" 2>/dev/null | sed 's/^/netns /'
    find /sys/fs/cgroup/*/bottle /sys/fs/cgroup/bottle -maxdepth 1 -name "$n*" 2>/dev/null | sed 's/^/cgroup /'
  done
  grep -F " $ROOT/" /proc/self/mountinfo | awk '{print "mount " $5}'
  for p in /proc/[0-9]*; do
    case $(readlink "$p/root" 2>/dev/null) in "$ROOT"/*) echo "proc $(tr '\0' ' ' <"$p/cmdline")" ;; esac
  done
  find "$ROOT/.bottle" 2>/dev/null | sed 's/^/state /'
}

left_behind() {
  local now
  now=$(settle snapshot "$before")
  if [ "$before" = "$now" ]; then ok "$1: nothing left behind"; else
    fail "$1: nothing left behind"
    diff <(echo "$before") <(echo "$now") | head -20
  fi
}

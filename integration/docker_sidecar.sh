#!/usr/bin/env bash
# Issue 9, items 6, 8 and 11 under `docker run --runtime=bottle` (dockerd 20.10, bottled mode, the
# pipelock double as sidecar):
#   - the sidecar's cgroup is "<the container's cgroup>-bottle-sidecar", beside the agent's under
#     dockerd's cgroup parent, with sidecar.resources' CPU, memory and pids limits (the defaults,
#     then configured ones), and `docker rm` leaves nothing of it;
#   - the running sidecar: no_new_privs, a seccomp filter, the sidecar uid, CAP_WAKE_ALARM only,
#     a read-only root, its YAML 0600 and its own;
#   - an agent that appends an allowlisted name with its own address to its /etc/hosts and
#     rewrites its /etc/resolv.conf (Docker's files, bind-mounted read-write) does not reach the
#     sidecar of its next start (docker restart): hosts is localhost only, resolv.conf is
#     network.dns, or without it Docker's embedded DNS and the host's resolvers, never the
#     agent's file.
# Runs in a private netns that plays the host, as docker_bottled.sh does.
. "$(dirname "$0")/../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 ss flock; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns dshost "$@"
# shellcheck source=integration/engine_bottled.lib.sh
. "$BOTTLE_TOP/integration/engine_bottled.lib.sh"
engine_bottled_docker docker-sidecar
CONF=$ENGINE_TMP/bottle.json
SUID=2147483000
conf() { # conf PYTHON: the engine's bottle.json edited by a statement over `c`
  python3 - "$CONF" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"))
PY
}
# cgv ID CONTROLLER FILE [V2FILE]: a file of the sidecar's cgroup (v1 hierarchy, else unified)
cgv() {
  local d
  for d in "/sys/fs/cgroup/$2$CG" /sys/fs/cgroup/*"$2"*"$CG"; do
    [ -e "$d/$3" ] && { cat "$d/$3"; return; }
  done
  for d in "/sys/fs/cgroup$CG" "/sys/fs/cgroup/unified$CG"; do
    [ -e "$d/${4:-$3}" ] && { cat "$d/${4:-$3}"; return; }
  done
  echo "no $3"
}
check_limits() { # check_limits WHAT QUOTA MEMORY PIDS
  if [ "$ENGINE_CGROUP2" = 1 ]; then
    check_eq "$1: cpu.max" "$2 100000" "$(cgv "" "" cpu.max)"
    check_eq "$1: memory.max" "$3" "$(cgv "" "" memory.max)"
  else
    check_eq "$1: cpu.cfs_quota_us" "$2" "$(cgv "" cpu cpu.cfs_quota_us)"
    check_eq "$1: cpu.cfs_period_us" 100000 "$(cgv "" cpu cpu.cfs_period_us)"
    check_eq "$1: memory.limit_in_bytes" "$3" "$(cgv "" memory memory.limit_in_bytes)"
  fi
  check_eq "$1: pids.max" "$4" "$(cgv "" pids pids.max)"
}
memcg() { awk -F: '$2 ~ /(^|,)memory(,|$)/ || $2 == "" {print $3; exit}' "/proc/$1/cgroup"; }

before=$(snapshot)

# 1. The sidecar of a running container: its cgroup (default limits) and its hardening.
a=$(dk run -d --runtime=bottle "$IMG" sleep 600) || fail "docker run a"
track "$a"
sp=$(sidecar_pid "$a")
ap=$(dk inspect -f '{{.State.Pid}}' "$a")
CG=$(memcg "$sp")
check_eq "the agent's cgroup: dockerd's parent and the id" "$ENGINE_CGROUP_PARENT/$a" "$(memcg "$ap")"
check_eq "the sidecar's cgroup: beside the agent's" "$ENGINE_CGROUP_PARENT/$a-bottle-sidecar" "$CG"
check_limits "default limits (1 CPU, 256 MiB, 256 tasks)" 100000 $((256 << 20)) 256
st=$(cat "/proc/$sp/status")
check_contains "the sidecar: NoNewPrivs" "$(printf 'NoNewPrivs:\t1')" "$st"
check_contains "the sidecar: a seccomp filter" "$(printf 'Seccomp:\t2')" "$st"
check_contains "the sidecar: its uid" "$(printf 'Uid:\t%s\t%s\t%s\t%s' $SUID $SUID $SUID $SUID)" "$st"
check_contains "the sidecar: CAP_WAKE_ALARM only" "$(printf 'CapEff:\t0000000800000000')" "$st"
check_contains "the sidecar: nothing more in its bounding set" "$(printf 'CapBnd:\t0000000800000000')" "$st"
check_contains "the sidecar: a read-only root" "Read-only file system" "$(touch "/proc/$sp/root/x" 2>&1)"
check_eq "the sidecar: its YAML 0600 and its own" "600 $SUID" \
  "$(stat -c '%a %u' "/proc/$sp/root/etc/pipelock.yaml" 2>&1)"

# 2. What the agent writes into Docker's hosts and resolv.conf stays out of the next sidecar.
dk exec "$a" sh -c 'echo "203.0.113.7 example.test" >>/etc/hosts; echo "nameserver 203.0.113.53" >/etc/resolv.conf'
src=$(dk inspect -f '{{.HostsPath}}' "$a")
check_contains "the agent wrote Docker's hosts file" "203.0.113.7 example.test" "$(cat "$src")"
check_eq "the agent rewrote Docker's resolv.conf" "nameserver 203.0.113.53" \
  "$(cat "$(dk inspect -f '{{.ResolvConfPath}}' "$a")")"
check_fails "the running sidecar's hosts: not the agent's" grep -q 203.0.113.7 "/proc/$sp/root/etc/hosts"
dk restart -t 1 "$a" >/dev/null || fail "docker restart"
sp=$(sidecar_pid "$a")
# (dockerd 20.10 writes both files afresh at each start; kubelet's etc-hosts and the CRI's
# resolv.conf it does not: integration/sidecar_hardening.sh has that shape)
check_fails "after docker restart: the agent's line is not in the sidecar's hosts" \
  grep -q 203.0.113.7 "/proc/$sp/root/etc/hosts"
check_eq "after docker restart: the sidecar's hosts is localhost only" \
  "$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost')" "$(cat "/proc/$sp/root/etc/hosts" 2>&1)"
check_eq "after docker restart: the sidecar's resolv.conf is network.dns" "nameserver $IP" \
  "$(cat "/proc/$sp/root/etc/resolv.conf" 2>&1)"
check_eq "after docker restart: the bottle works" "hello from the test internet" \
  "$(dk exec "$a" wget -q -O- http://example.test/ 2>&1)"
dk rm -f "$a" >/dev/null
left_behind "docker rm -f (the sidecar's cgroup included)"

# 3. Without network.dns: Docker's embedded DNS, then the host's resolvers; configured limits.
conf 'del c["network"]; c["sidecar"]["resources"] = {"cpus": 0.25, "memory_bytes": 64 << 20, "pids": 32}'
host_ns=$(awk '$1 == "nameserver" && $2 !~ /^127\./ && $2 != "::1" {print "nameserver " $2}' /etc/resolv.conf)
b=$(dk run -d --runtime=bottle --dns 203.0.113.53 "$IMG" sleep 600) || fail "docker run b"
track "$b"
sp=$(sidecar_pid "$b")
CG=$(memcg "$sp")
check_limits "configured limits (0.25 CPU, 64 MiB, 32 tasks)" 25000 $((64 << 20)) 32
check_eq "no network.dns: the sidecar's resolv.conf is 127.0.0.11, then the host's" \
  "$(printf 'nameserver 127.0.0.11\n%s' "$host_ns")" \
  "$(grep '^nameserver' "/proc/$sp/root/etc/resolv.conf" 2>&1)"
dk rm -f "$b" >/dev/null
# On a user-defined network Docker's embedded DNS answers in the container's netns, where the
# sidecar sits: pipelock resolves through it (here the double asks only its first resolver,
# 127.0.0.11, which forwards to --dns).
dk network create -o "com.docker.network.bridge.name=btud$$" --subnet 192.0.2.0/24 "btud$$" >/dev/null ||
  fail "docker network create"
sysctl -qw "net.ipv4.conf.btud$$.forwarding=1"
internet_ns_exec ip route add 192.0.2.0/24 via "$INTERNET_HOST_IP"
u=$(dk run -d --runtime=bottle --network "btud$$" --dns "$IP" "$IMG" sleep 600) || fail "docker run on a user-defined network"
track "$u"
check_eq "user-defined network: the allowed host through Docker's embedded DNS" \
  "hello from the test internet" "$(dk exec "$u" wget -q -O- http://example.test/ 2>&1)"
dk rm -f "$u" >/dev/null
dk network rm "btud$$" >/dev/null
internet_ns_exec ip route del 192.0.2.0/24 via "$INTERNET_HOST_IP"
conf 'c["sidecar"]["resources"] = {"pids": 2}'
out=$(dkt run --rm --runtime=bottle "$IMG" true 2>&1)
check_contains "a bad sidecar.resources: one line naming the key" \
  "sidecar.resources.pids: must be a number from 16" "$out"
left_behind "docker rm -f, a refused config"
engines_check_no_leftover_cgroups
finish

#!/usr/bin/env bash
# threats.md §7.1 rows 7, 12-17 and §7.3 row 39, syscall by syscall, inside a bottled agent
# whose config.json asks for CAP_NET_RAW, CAP_NET_ADMIN and CAP_SYS_ADMIN and has no seccomp
# profile of its own: whatever holds here is bottle's doing (caps dropped, egress seccomp
# layer), not the bundle's. The probe (integration/threats-probe.c) prints the exact errno;
# it makes no packets (AF_VSOCK is only created, never connected).
source "$(dirname "$0")/threats.lib.sh"
threats_setup sys

add_caps='
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] += ["CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"]
c["linux"].pop("seccomp", None)
c["linux"]["devices"] = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 438}]
c["linux"]["resources"]["devices"].append({"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rwm"})'
# CAP_SYS_ADMIN takes an agent out of its bottle: refused at create, with the line naming the
# opt-in, unless the operator's bottle.json allows it (agent.allow_capabilities, docs/security.md).
refused_caps="CAP_SYS_ADMIN CAP_SYS_MODULE CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_SYS_RAWIO"
refused_caps+=" CAP_SYS_BOOT CAP_BPF CAP_PERFMON CAP_MAC_ADMIN CAP_MAC_OVERRIDE CAP_SYSLOG"
check_fails "CAP_SYS_ADMIN without the operator's opt-in: create refused" \
  threats_agent s-refused "$add_caps"
check_contains "... with the line naming the capability and the opt-in" \
  "process.capabilities.bounding: CAP_SYS_ADMIN lets a bottled agent leave its bottle" \
  "$(cat "$BT/s-refused.run.log")"
check_contains "... and the bottle.json key" "agent.allow_capabilities" "$(cat "$BT/s-refused.run.log")"
bottled_config "$BT/allow.json" "c['agent'] = {'allow_capabilities': '$refused_caps'.split(),
    'allow_unmasked_proc': True}"
BT_CONFIG_FILE=$BT/allow.json
threats_agent s "$add_caps" || { fail "bottle run -d s"; finish; exit; }
check_contains "the log says what bottle.json granted" \
  "allow.json grants it CAP_SYS_ADMIN (agent.allow_capabilities)" "$(cat "$BT/s.run.log")"
p() { tx s probe "$@"; }

status=$(tx s cat /proc/self/status)
check_contains "the agent runs under the egress seccomp layer" "Seccomp:	2" "$status"
capeff=$(awk '/^CapEff/ {print $2}' <<<"$status")
check_eq "CAP_SYS_ADMIN kept as asked (so the blocks below are seccomp's)" 1 "$(((0x$capeff >> 21) & 1))"

# --- row 7: raw sockets and AF_PACKET, CAP_NET_RAW asked for
check_eq "row 7: CAP_NET_RAW dropped although config.json asks for it" 0 "$(((0x$capeff >> 13) & 1))"
check_eq "row 7: AF_INET SOCK_RAW (TCP) refused" \
  "socket 2 3 6: EPERM (Operation not permitted)" "$(p socket 2 3 6)"
check_eq "row 7: AF_INET SOCK_RAW (ICMP) refused" \
  "socket 2 3 1: EPERM (Operation not permitted)" "$(p socket 2 3 1)"
check_eq "row 7: AF_INET6 SOCK_RAW (ICMPv6) refused" \
  "socket 10 3 58: EPERM (Operation not permitted)" "$(p socket 10 3 58)"
check_eq "row 7: AF_INET SOCK_PACKET refused" \
  "socket 2 10 768: EPERM (Operation not permitted)" "$(p socket 2 10 768)"
check_eq "row 7: AF_PACKET SOCK_RAW ETH_P_ALL refused" \
  "socket 17 3 768: EAFNOSUPPORT (Address family not supported by protocol)" "$(p socket 17 3 768)"
check_eq "row 7: AF_PACKET SOCK_DGRAM refused" \
  "socket 17 2 768: EAFNOSUPPORT (Address family not supported by protocol)" "$(p socket 17 2 768)"
out=$(tx s ping -c 1 -W 1 127.0.0.1)
check_contains "row 7: busybox ping (raw socket) refused" "permission denied" "$out"

# --- row 11: new links and tun devices need CAP_NET_ADMIN, which is gone
for kind in "macvlan mode bridge" "ipvlan" "vxlan id 42 dev eth0 dstport 4789" "dummy"; do
  out=$(tx s ip link add probe0 link eth0 type $kind)
  check_contains "row 11: ip link add type ${kind%% *} not permitted" "Operation not permitted" "$out"
done
check_eq "row 11: /dev/net/tun (granted by the bundle): TUNSETIFF refused" \
  "tun: EPERM (Operation not permitted)" "$(p tun)"

# --- row 11 (netlink writes): NETLINK_ROUTE is allowed for reading, changes need NET_ADMIN
out=$(tx s ip link add dummy0 type dummy)
check_contains "row 11: ip link add (netlink write) not permitted" "Operation not permitted" "$out"
out=$(tx s ip link set eth0 down)
check_contains "row 11: ip link set eth0 down not permitted" "Operation not permitted" "$out"
check_contains "row 15 control: NETLINK_ROUTE reads work (ip link)" "eth0" "$(tx s ip -o link)"

# --- row 12: new user/network namespaces
for args in "-Urn" "-n" "-U" "-Urnm"; do
  out=$(tx s unshare $args true)
  check_contains "row 12: unshare $args refused" "Operation not permitted" "$out"
done
check_eq "row 12: unshare(CLONE_NEWNET) -> EPERM" \
  "unshare-net: EPERM (Operation not permitted)" "$(p unshare-net)"
check_eq "row 12: clone(CLONE_NEWNET) -> EPERM" \
  "clone-net: EPERM (Operation not permitted)" "$(p clone-net)"
check_eq "row 12: clone3 (flags unreadable by seccomp) -> ENOSYS" \
  "clone3: ENOSYS (Function not implemented)" "$(p clone3)"
check_eq "row 12 control: other namespaces still allowed (unshare -u)" "ok" \
  "$(tx s unshare -u sh -c 'echo ok')"

# --- row 13: setns, leaked fds, netns bind mounts, the sidecar's processes
check_eq "row 13: setns into /proc/1/ns/net -> EPERM" \
  "setns: EPERM (Operation not permitted)" "$(p setns /proc/1/ns/net)"
out=$(tx s nsenter --net=/proc/1/ns/net true)
check_contains "row 13: nsenter --net refused" "Operation not permitted" "$out"
check_eq "row 13: an exec'd process has only 0, 1, 2 open" "fds: 0=/dev/null 1=pipe: 2=pipe:" \
  "$(p fds | sed 's/\[[0-9]*\]//g')"
check_eq "row 13: the agent's init has only 0, 1, 2 open" "0 1 2" \
  "$(tsh s 'echo $(ls /proc/1/fd | sort -n)')"
check_fails "row 13: no /run/bottle in the agent" tx s test -e /run/bottle
check_fails "row 13: no /run/netns in the agent" tx s test -e /run/netns
check_eq "row 13: no bottle or netns mount in the agent's mountinfo" "" \
  "$(tx s cat /proc/self/mountinfo | grep -E 'bottle/netns|/run/netns|\.bottle')"
check_eq "row 13: no pipelock process visible to the agent" "" \
  "$(tsh s 'cat /proc/[0-9]*/comm' | grep -i pipelock)"

# --- row 14: AF_VSOCK (created only; never connected)
check_eq "row 14: AF_VSOCK stream refused" \
  "socket 40 1 0: EAFNOSUPPORT (Address family not supported by protocol)" "$(p socket 40 1 0)"
check_eq "row 14: AF_VSOCK dgram refused" \
  "socket 40 2 0: EAFNOSUPPORT (Address family not supported by protocol)" "$(p socket 40 2 0)"

# --- row 15: other families and netlink protocols
for fam in "44 3 0 AF_XDP" "31 1 0 AF_BLUETOOTH" "29 3 1 AF_CAN" "21 5 0 AF_RDS" "30 2 0 AF_TIPC" \
  "15 3 2 AF_KEY" "38 5 0 AF_ALG" "4 2 0 AF_IPX" "3 5 0 AF_AX25"; do
  set -- $fam
  check_eq "row 15: $4 refused" \
    "socket $1 $2 $3: EAFNOSUPPORT (Address family not supported by protocol)" "$(p socket $1 $2 $3)"
done
for proto in "12 NETLINK_NETFILTER" "9 NETLINK_AUDIT" "15 NETLINK_KOBJECT_UEVENT" "6 NETLINK_XFRM" \
  "4 NETLINK_SOCK_DIAG" "16 NETLINK_GENERIC"; do
  set -- $proto
  check_eq "row 15: $2 refused" \
    "socket 16 3 $1: EAFNOSUPPORT (Address family not supported by protocol)" "$(p socket 16 3 $1)"
done
check_eq "row 15: NETLINK_ROUTE allowed" "socket 16 3 0: ok" "$(p socket 16 3 0)"

# --- row 16: io_uring
check_eq "row 16: io_uring_setup -> EPERM" "io_uring: EPERM (Operation not permitted)" "$(p io_uring)"

# --- row 17: foreign syscall ABIs are killed
check_contains "row 17: int 0x80 socketcall killed by SIGSYS" "int80: killed by signal 31" "$(p int80)"
check_contains "row 17: x32 socket() killed by SIGSYS" "x32: killed by signal 31" "$(p x32)"

# --- row 9: IPv4-mapped IPv6 to the test internet goes nowhere either
check_eq "row 9: [::ffff:internet IP]:80 -> ENETUNREACH" \
  "tcp6: ENETUNREACH (Network is unreachable)" "$(p tcp6 "::ffff:$INTERNET_IP" eth0 80)"

# --- row 33: reading other processes (only the agent's own are visible; still refused)
check_eq "row 33: ptrace refused" "ptrace: EPERM (Operation not permitted)" "$(p ptrace 1)"
check_eq "row 33: process_vm_readv refused" "vm-read: EPERM (Operation not permitted)" "$(p vm-read 1)"
check_eq "row 33: pidfd_getfd refused" "pidfd-getfd: EPERM (Operation not permitted)" "$(p pidfd-getfd 1 0)"

# --- row 34: /proc/net and /sys show the agent netns only
check_eq "row 34: /sys/class/net: eth0 and lo" "eth0 lo" "$(tsh s 'echo $(ls /sys/class/net | sort)')"
check_eq "row 34: /proc/net/tcp: no sockets (not the host's or sidecar's)" 1 "$(tx s cat /proc/net/tcp | wc -l)"
check_eq "row 34: /proc/net/unix: no sockets" 1 "$(tx s cat /proc/net/unix | wc -l)"
check_eq "row 34: /proc/net/route: the /30 only" 1 "$(tx s tail -n +2 /proc/net/route | wc -l)"

# --- row 35: abstract unix sockets of the real host, the test host and the sidecar netns
for where in host bthost sidecar; do
  name=bottle-threats-$$-$where
  case $where in
    host) pre=() ;;
    bthost) pre=(nsenter --net="/run/netns/$BT_HOST") ;;
    sidecar) pre=(nsenter --net="$(t_sidecar_ns s)") ;;
  esac
  t_bg "${pre[@]}" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind("\0" + sys.argv[1]); s.listen(8); time.sleep(600)' "$name"
  for i in $(seq 100); do "${pre[@]}" grep -q "@$name" /proc/net/unix && break; sleep 0.05; done
  check_eq "row 35 control: @$name answers in its own netns" "unix: ok" "$("${pre[@]}" "$TPROBE" unix "$name")"
  check_eq "row 35: the agent cannot reach @$name" "unix: ECONNREFUSED (Connection refused)" "$(p unix "$name")"
done

# --- row 39: exec lands in the agent's netns and cgroup, with the proxy env
agent_ino=$(stat -L -c %i "$(bt_agent_netns s)")
sidecar_ino=$(stat -L -c %i "$(t_sidecar_ns s)")
exec_ns=$(tx s readlink /proc/self/ns/net)
check_eq "row 39: exec'd process is in the init's netns" "$(tx s readlink /proc/1/ns/net)" "$exec_ns"
check_eq "row 39: ... which is the agent netns bind mount" "net:[$agent_ino]" "$exec_ns"
check_fails "row 39: ... not the sidecar's" test "$exec_ns" = "net:[$sidecar_ino]"
check_eq "row 39: exec'd process is in the init's cgroup" "$(tx s cat /proc/1/cgroup)" \
  "$(tx s cat /proc/self/cgroup)"
check_contains "row 39: exec'd process has the proxy env" \
  "HTTPS_PROXY=http://$(t_sidecar_ip s):8888" "$(tx s env)"
check_eq "row 39: exec'd process has the init's seccomp state" \
  "$(tx s grep -E '^Seccomp' /proc/1/status)" "$(tx s grep -E '^Seccomp' /proc/self/status)"
check_eq "row 39: exec'd process has the init's capabilities" \
  "$(tx s grep -E '^Cap(Eff|Bnd)' /proc/1/status)" "$(tx s grep -E '^Cap(Eff|Bnd)' /proc/self/status)"
# --- the same as a non-root user: user namespaces are the unprivileged way to a new netns
threats_agent u 'c["process"]["user"] = {"uid": 1000, "gid": 1000}' || fail "bottle run -d u (uid 1000)"
check_eq "non-root: the agent runs as uid 1000" 1000 "$(tx u id -u)"
for args in "-Urn" "-U" "-Ur"; do
  out=$(tx u unshare $args true)
  check_contains "row 12 (non-root): unshare $args refused" "Operation not permitted" "$out"
done
check_eq "row 1 (non-root): direct to the internet IP -> ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(tx u probe tcp4 "$INTERNET_IP" 80)"
check_eq "row 14 (non-root): AF_VSOCK refused" \
  "socket 40 1 0: EAFNOSUPPORT (Address family not supported by protocol)" "$(tx u probe socket 40 1 0)"
check_eq "row 16 (non-root): io_uring refused" "io_uring: EPERM (Operation not permitted)" "$(tx u probe io_uring)"
check_contains "row 17 (non-root): int 0x80 killed" "int80: killed by signal 31" "$(tx u probe int80)"
check_eq "control (non-root): the proxy works" "hello from the test internet" \
  "$(tx u wget -q -O- http://example.test/)"

# --- row 36 (docker --privileged): every capability this host has (its bounding set), no masked or read-only paths. bottle
# must hold the boundary or refuse: NET_ADMIN/NET_RAW go, the egress layer stays, and a
# capability that loads kernel code (CAP_SYS_MODULE) would end every guarantee. The probe's
# finit_module(-1) loads nothing: EBADF only shows the call got past seccomp and capabilities.
all_caps=$(python3 -c '
import json, re
caps = re.findall(r"#define (CAP_[A-Z_]+)\s+(\d+)", open("/usr/include/linux/capability.h").read())
bnd = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd")][0], 16)
print(json.dumps([c for c, n in caps if bnd >> int(n) & 1]))')
priv="
for k in ('bounding', 'effective', 'permitted'):
    c['process']['capabilities'][k] = $all_caps
c['process']['noNewPrivileges'] = False
c['linux']['maskedPaths'] = []
c['linux']['readonlyPaths'] = []"
BT_CONFIG_FILE= check_fails "row 36 (privileged) without the operator's opt-in: create refused" \
  threats_agent priv-refused "$priv"
check_contains "row 36 (privileged): ... naming a capability and agent.allow_capabilities" \
  "lets a bottled agent leave its bottle" "$(cat "$BT/priv-refused.run.log")"
threats_agent priv "$priv" || fail "bottle run -d priv (all capabilities, allowed in bottle.json)"
capeff=$(tx priv grep CapEff /proc/self/status | awk '{print $2}')
check_eq "row 36 (privileged): NET_ADMIN and NET_RAW still dropped (CapEff $capeff)" 0 "$(((0x$capeff >> 12) & 3))"
check_contains "row 36 (privileged): the egress seccomp layer is on" "Seccomp:	2" "$(tx priv cat /proc/self/status)"
check_eq "row 36 (privileged): direct to the internet IP -> ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(tx priv probe tcp4 "$INTERNET_IP" 80)"
check_contains "row 36 (privileged): unshare -n refused" "Operation not permitted" "$(tx priv unshare -n true)"
# Code into the host's kernel stays closed whatever capabilities bottle.json lets the agent keep.
# The agent holds every capability, so the kernel's own answer is never EPERM (this one says
# ENOSYS: no module or kexec support); EPERM is the egress layer's. The control runs the same
# calls on the host as root.
host=$("$TPROBE" kernel-code)
check_eq "row 36 control: unfiltered, as root, the kernel never says EPERM to these" "" \
  "$(grep EPERM <<<"$host")"
agent=$(tx priv probe kernel-code)
for call in init-module finit-module delete-module kexec-load kexec-file-load open-by-handle bpf \
  iopl ioperm; do
  check_contains "row 36 (privileged, every capability): $call -> EPERM from the egress layer" \
    "$call: EPERM (Operation not permitted)" "$agent"
done
finish

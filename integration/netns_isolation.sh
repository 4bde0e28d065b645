#!/usr/bin/env bash
# Issue 4, "done when" 1: from the agent netns only the sidecar's proxy port answers; the
# internet host, the host, the uplink gateway, the sidecar's other ports, the peer's IPv6
# link-local address, ICMP and UDP 53 to the test resolver all fail at once (refused or
# unreachable, never a timeout: the probe reports "timeout" as its own outcome), also after
# the agent (root, CAP_NET_ADMIN in its netns) adds a default route via the sidecar. In
# own-uplink mode the sidecar reaches the test internet through the host, with a fake dockerd
# FORWARD policy drop in place; in engine mode the link /30 avoids the engine's subnets.
. "$(dirname "$0")/netns_common.lib.sh"
nn_setup
nn_fake_docker_forward_drop
internet_up iso "$NN_HOST" || exit 1
before=$(nn_snapshot)

check "build own-uplink topology" nn_build "iso-up-$$" uplink
A=$AGENT_NETNS S=$SIDECAR_NETNS
# Listeners in the sidecar netns: the proxy port, another port on the same address, and the
# proxy port on the uplink address.
nn_listen "$S" "$SIDECAR_IP" 8888 && p1=$LISTEN_PID
nn_listen "$S" "$SIDECAR_IP" 9090 && p2=$LISTEN_PID
nn_listen "$S" "$UPLINK_SIDECAR_IP" 8888 && p3=$LISTEN_PID
nn_listen "/run/netns/$NN_HOST" "$UPLINK_HOST_IP" 80 && p4=$LISTEN_PID

agent_checks() {
  local when=$1
  check_probe "$when: proxy port answers" connected "$A" tcp "$SIDECAR_IP" 8888
  check_eq "$when: HTTP through the proxy port" proxy-port-ok \
    "$(nn_in "$A" curl -sS --noproxy '*' -m 5 "http://$SIDECAR_IP:8888/")"
  check_probe "$when: sidecar's other port refused" refused "$A" tcp "$SIDECAR_IP" 9090
  check_probe "$when: sidecar uplink address" unreachable "$A" tcp "$UPLINK_SIDECAR_IP" 8888
  check_probe "$when: uplink gateway (host end)" unreachable "$A" tcp "$UPLINK_HOST_IP" 80
  check_probe "$when: host's internet-facing address" unreachable "$A" tcp "$INTERNET_HOST_IP" 80
  check_probe "$when: internet host TCP 80" unreachable "$A" tcp "$INTERNET_IP" 80
  check_probe "$when: test resolver UDP 53" unreachable "$A" udp "$INTERNET_IP" 53
  check_probe "$when: ICMP to the internet host" unreachable "$A" icmp "$INTERNET_IP"
  check_probe "$when: ICMP to the sidecar" unreachable "$A" icmp "$SIDECAR_IP"
  check_probe "$when: peer's IPv6 link-local" unreachable "$A" tcp6 "$peer_ll%eth0" 8888
  check_eq "$when: no DNS query reached the resolver" 0 "$(internet_dns_count)"
}

# The sidecar end's EUI-64 link-local address, which it would have if IPv6 were on.
mac=$(nn_in "$S" ip -o link show "$SIDECAR_IF" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
IFS=: read -r m1 m2 m3 m4 m5 m6 <<<"$mac"
peer_ll=$(printf 'fe80::%x:%x:%x:%x' $(((0x$m1 ^ 2) << 8 | 0x$m2)) $((0x$m3 << 8 | 0xff)) \
  $((0xfe << 8 | 0x$m4)) $((0x$m5 << 8 | 0x$m6)))

check_eq "agent has no IPv6 address" "" "$(nn_in "$A" ip -6 -o addr show)"
check_eq "sidecar's agent link has no IPv6 address" "" "$(nn_in "$S" ip -6 -o addr show dev "$SIDECAR_IF")"
check_eq "agent has only lo and eth0" "lo eth0" "$(nn_in "$A" ip -o link show | awk -F': ' '{printf "%s%s", sep, $2; sep=" "}' | sed 's/@[^ ]*//g')"
check_eq "agent routes: only the /30" "192.0.2.0/30 dev eth0 proto kernel scope link src $AGENT_IP" "$(nn_in "$A" ip route show | sed 's/ *$//')"
check_eq "agent IPv6 off (all)" 1 "$(nn_in "$A" cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
check_eq "agent IPv6 off (default)" 1 "$(nn_in "$A" cat /proc/sys/net/ipv6/conf/default/disable_ipv6)"
check_eq "agent IPv6 off (eth0)" 1 "$(nn_in "$A" cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6)"
check_eq "agent accept_ra 0 (eth0)" 0 "$(nn_in "$A" cat /proc/sys/net/ipv6/conf/eth0/accept_ra)"
check_eq "sidecar forwarding off" 0 "$(nn_in "$S" cat /proc/sys/net/ipv4/ip_forward)"
check_eq "sidecar accept_ra 0" 0 "$(nn_in "$S" cat /proc/sys/net/ipv6/conf/all/accept_ra)"
check_eq "sidecar rp_filter 1" 1 "$(nn_in "$S" cat /proc/sys/net/ipv4/conf/all/rp_filter)"
check_eq "host forwarding stays off globally" 0 "$(nn_host cat /proc/sys/net/ipv4/ip_forward)"
check_eq "host forwarding on for the uplink veth" 1 "$(nn_host cat "/proc/sys/net/ipv4/conf/$UPLINK_HOST_IF/forwarding")"
check_eq "host forwarding on for the default route's interface" 1 "$(nn_host cat /proc/sys/net/ipv4/conf/fakeup/forwarding)"

agent_checks "plain"
# The agent, root in its netns, routes everything at the sidecar and adds an address in the
# uplink subnet: still only the proxy port.
check "agent adds a default route via the sidecar" nn_in "$A" ip route add default via "$SIDECAR_IP"
# (the /30's last address: .1 and .2 are the uplink's ends)
check "agent adds an uplink-subnet address" nn_in "$A" ip addr add "${UPLINK_HOST_IP%.*}.$((${UPLINK_HOST_IP##*.} + 2))/32" dev eth0
agent_checks "default route"

# Own-uplink: the sidecar reaches the test internet (HTTP and DNS) through the host's
# masquerade, although the fake dockerd FORWARD chain drops by default.
check_eq "sidecar fetches from the internet host" "hello from the test internet" \
  "$(nn_in "$S" curl -sS --noproxy '*' -m 5 "http://$INTERNET_IP/")"
check_contains "sidecar resolves through the test DNS" "$INTERNET_IP" \
  "$(nn_in "$S" busybox nslookup example.test "$INTERNET_IP" 2>&1)"
check "the resolver counted that lookup" test "$(internet_dns_count)" -ge 1
check_contains "accept rule sits in DOCKER-USER" "iifname \"$UPLINK_HOST_IF\" accept" \
  "$(nn_host nft list chain ip filter DOCKER-USER)"
# dockerd edits that table with iptables-nft, which must still be able to read it.
if command -v iptables >/dev/null; then
  check_contains "iptables-nft reads DOCKER-USER back" "-i $UPLINK_HOST_IF" \
    "$(nn_host iptables -S DOCKER-USER 2>&1)"
fi
# From the outside (the internet netns routing at the host), no new connection reaches the
# sidecar's uplink address: only replies are forwarded toward it.
internet_ns_exec ip route add 203.0.113.0/24 via "$INTERNET_HOST_IP"
check_probe "internet -> sidecar uplink: new connection rejected" unreachable \
  "/run/netns/$INTERNET_NS" tcp "$UPLINK_SIDECAR_IP" 8888
internet_ns_exec ip route del 203.0.113.0/24 via "$INTERNET_HOST_IP"

kill $p1 $p2 $p3 $p4 2>/dev/null
wait $p1 $p2 $p3 $p4 2>/dev/null
check "teardown" nn_teardown "iso-up-$$"
check "teardown again (idempotent)" nn_teardown "iso-up-$$"
check "agent netns file gone" test ! -e "$A"
check_same "host as before" "$before" "$(settle nn_snapshot "$before")"

# Without DOCKER-USER (e.g. ufw or a bare iptables FORWARD drop) the rule goes into FORWARD.
nn_host nft delete table ip filter
nn_fake_docker_forward_drop without_user
before=$(nn_snapshot)
check "build with FORWARD-only drop" nn_build "iso-fwd-$$" uplink
check_eq "sidecar fetches with FORWARD-only drop" "hello from the test internet" \
  "$(nn_in "$SIDECAR_NETNS" curl -sS --noproxy '*' -m 5 "http://$INTERNET_IP/")"
check "teardown" nn_teardown "iso-fwd-$$"
check_same "host as before (FORWARD-only)" "$before" "$(settle nn_snapshot "$before")"

# A host that forwards nowhere, whose default route leads to the internet: the library turns
# forwarding on for that interface only (replies come in there), and back off at teardown.
nn_host nft delete table ip filter
veth=$(nn_host ip -o addr show to "$INTERNET_HOST_IP" | awk '{print $2}')
nn_host sysctl -qw "net.ipv4.conf.$veth.forwarding=0"
nn_host ip route replace default via "$INTERNET_IP" dev "$veth"
before=$(nn_snapshot)
check "build with upstream forwarding off" nn_build "iso-nofwd-$$" uplink
check_eq "upstream interface now forwards" 1 "$(nn_host cat "/proc/sys/net/ipv4/conf/$veth/forwarding")"
check_eq "global forwarding still off" 0 "$(nn_host cat /proc/sys/net/ipv4/ip_forward)"
check_eq "sidecar fetches via the default route" "hello from the test internet" \
  "$(nn_in "$SIDECAR_NETNS" curl -sS --noproxy '*' -m 5 "http://$INTERNET_IP/")"
check "teardown" nn_teardown "iso-nofwd-$$"
check_eq "upstream forwarding restored" 0 "$(nn_host cat "/proc/sys/net/ipv4/conf/$veth/forwarding")"
check_same "host as before (upstream forwarding)" "$before" "$(settle nn_snapshot "$before")"

# dockerd's first start while a bottle is up sets ip_forward=1, which turns forwarding on for
# every interface: the last teardown must not switch the upstream interface back off.
nn_host sysctl -qw "net.ipv4.conf.$veth.forwarding=0"
check "build with upstream forwarding off (again)" nn_build "iso-late-$$" uplink
nn_host sysctl -qw net.ipv4.ip_forward=1
check "teardown after forwarding went on host-wide" nn_teardown "iso-late-$$"
check_eq "host-wide forwarding left on the upstream interface" 1 \
  "$(nn_host cat "/proc/sys/net/ipv4/conf/$veth/forwarding")"
nn_host sysctl -qw net.ipv4.ip_forward=0

# Engine mode: a netns standing in for Docker's container netns already uses 192.0.2.0/30,
# so the agent link takes 192.0.2.4/30, and the engine's own addresses survive teardown.
nn_engine_ns || exit 1
nn_in "$ENG" ip link add eth0 type veth peer name eth1
nn_in "$ENG" ip addr add 192.0.2.1/30 dev eth0
nn_in "$ENG" ip link set eth0 up
eng_before=$(nn_engine_state)
check "build engine-mode topology" nn_build "iso-eng-$$" engine engine="$ENG"
check_eq "link /30 avoids the engine subnet" "192.0.2.5 192.0.2.6" "$SIDECAR_IP $AGENT_IP"
nn_listen "$ENG" "$SIDECAR_IP" 8888 && p1=$LISTEN_PID
nn_listen "$ENG" 0.0.0.0 9091 && p2=$LISTEN_PID
check_probe "engine: proxy port answers" connected "$AGENT_NETNS" tcp "$SIDECAR_IP" 8888
check_probe "engine: other port refused" refused "$AGENT_NETNS" tcp "$SIDECAR_IP" 9091
check_probe "engine: engine's own address" unreachable "$AGENT_NETNS" tcp 192.0.2.1 9091
nn_in "$AGENT_NETNS" ip route add default via "$SIDECAR_IP"
check_probe "engine+route: engine's own address" unreachable "$AGENT_NETNS" tcp 192.0.2.1 9091
check_probe "engine+route: internet" unreachable "$AGENT_NETNS" tcp "$INTERNET_IP" 80
kill $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
check "engine teardown" nn_teardown "iso-eng-$$"
# Our link there goes with the agent netns, which the kernel frees after teardown returns.
check_same "engine netns as before" "$eng_before" "$(settle nn_engine_state "$eng_before")"
umount "$ENG"
finish

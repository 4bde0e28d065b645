#!/usr/bin/env bash
# threats.md §7.1 rows 1, 2, 3, 5, 6, 8, 11 and §7.2 rows 18, 30 against a bottled agent run by
# `bottle run -d` (own uplink, pipelock test double as the sidecar, test internet on
# 198.51.100.0/24). The agent's config.json asks for CAP_NET_RAW and CAP_NET_ADMIN and sets
# net.ipv4.ping_group_range as Docker does, so the tools can try what a real agent could.
# Every direct attempt must fail at once (an errno, never a timeout).
source "$(dirname "$0")/threats.lib.sh"
threats_setup l3

add_caps='
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] += ["CAP_NET_RAW", "CAP_NET_ADMIN"]
c["linux"]["sysctl"] = {"net.ipv4.ping_group_range": "0 2147483647"}'
threats_agent a "$add_caps" || { fail "bottle run -d a"; finish; exit; }
S=$(t_sidecar_ip a)
I=$INTERNET_IP
AGENT_NS=$(bt_agent_netns a)

# Control: the proxy path works, so every failure below is the boundary, not a broken setup.
check_eq "control: allowlisted host through the proxy" "hello from the test internet" \
  "$(tx a wget -q -O- http://example.test/)"

# --- row 1: ignore the proxy env
out=$(tx a env -u http_proxy -u HTTP_PROXY wget -q -O- "http://$I/")
check_contains "row 1: wget without proxy env to the internet IP: no route" "Network is unreachable" "$out"
out=$(tx a wget -Y off -q -O- "http://$I/")
check_contains "row 1: wget --no-proxy: no route" "Network is unreachable" "$out"
check_eq "row 1: probe connect to internet IP:80 -> ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(tx a probe tcp4 "$I" 80)"

# --- row 2: other ports on the internet IP
for port in 22 25 53 443 853 5432 8080; do
  check_eq "row 2: internet IP:$port -> ENETUNREACH" \
    "tcp4: ENETUNREACH (Network is unreachable)" "$(tx a probe tcp4 "$I" "$port")"
done
out=$(tx a nc "$I" 22 </dev/null)
check_contains "row 2: busybox nc internet IP:22: no route" "Network is unreachable" "$out"

# --- row 3: DNS to the test resolver directly; the query counter must not move
dns0=$(internet_dns_count)
out=$(tx a nslookup example.test "$I")
check_contains "row 3: nslookup @internet resolver fails" "Network is unreachable" "$out"
check_eq "row 3: UDP 53 to the resolver -> ENETUNREACH" \
  "udp4: ENETUNREACH (Network is unreachable)" "$(tx a probe udp4 "$I" 53)"
check_eq "row 3: TCP 53 to the resolver -> ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(tx a probe tcp4 "$I" 53)"
out=$(tsh a "echo nameserver $I >/etc/resolv.conf && nslookup example.test")
check_contains "row 3: resolv.conf edited to the resolver: still no route" "Network is unreachable" "$out"
out=$(tx a nslookup example.test "$S")
check_fails "row 3: the sidecar answers no DNS ($out)" grep -q "Address.*$I" <<<"$out"
sleep 0.2 # a stray datagram would have been counted by now
check_eq "row 3: no query reached the test DNS server" "$dns0" "$(internet_dns_count)"
tx a wget -q -O /dev/null http://example.test/ >/dev/null
check "row 3 control: the sidecar's own lookup is counted" test "$(internet_dns_count)" -gt "$dns0"

# --- row 5: QUIC / UDP 443
check_eq "row 5: UDP/443 to the internet IP -> ENETUNREACH" \
  "udp4: ENETUNREACH (Network is unreachable)" "$(tx a probe udp4 "$I" 443)"

# --- row 6: ICMP. busybox ping wants a raw socket (refused: row 7); the probe uses the ICMP
# datagram socket unprivileged ping uses, allowed by ping_group_range as under Docker.
check_eq "row 6: ping_group_range from the bundle applies" "0	2147483647" \
  "$(tx a cat /proc/sys/net/ipv4/ping_group_range)"
check_eq "row 6: ICMP echo to the internet IP -> ENETUNREACH" \
  "ping4: ENETUNREACH (Network is unreachable)" "$(tx a probe ping4 "$I")"
out=$(tx a probe ping4 "$S")
case $out in
  "ping4: reply type 0") fail "row 6: the sidecar answers ICMP echo ($out)" ;;
  "ping4: no reply" | "ping4: E"*) ok "row 6: the sidecar does not answer ICMP echo ($out)" ;;
  *) fail "row 6: ICMP echo to the sidecar: unexpected '$out'" ;;
esac
out=$(tx a ping -c 1 -W 2 "$I")
check_fails "row 6: busybox ping internet IP fails ($out)" grep -q "bytes from" <<<"$out"

# --- row 8: IPv6
check_eq "row 8: no IPv6 address in the agent" "" "$(tx a ip -6 -o addr)"
check_eq "row 8: /proc/net/if_inet6 is empty" "" "$(tx a cat /proc/net/if_inet6)"
check_eq "row 8: disable_ipv6 on all/default/eth0" "1 1 1" \
  "$(tsh a 'cd /proc/sys/net/ipv6/conf && echo $(cat all/disable_ipv6 default/disable_ipv6 eth0/disable_ipv6)')"
side_if=$(nsenter --net="$(t_sidecar_ns a)" ip -o -4 addr show to "$S/32" | awk '{print $2; exit}')
ll=$(t_sidecar_ll a)
check_eq "row 8: the sidecar's veth end has no IPv6 address" "" \
  "$(nsenter --net="$(t_sidecar_ns a)" ip -6 -o addr show dev "$side_if")"
out=$(tx a probe tcp6 "$ll" eth0 8888)
check_fails "row 8: TCP to the sidecar's link-local $ll%eth0 fails ($out)" test "$out" = "tcp6: ok"
check_fails "row 8: ... and not by timing out" grep -q timeout <<<"$out"

# --- row 18: the sidecar's other ports. A port where nothing listens resets with or without
# the filter, so real listeners stand behind some (on 0.0.0.0 in the sidecar netns, logging
# what reaches them); each answers the sidecar's own loopback, never the agent.
SNS=$(t_sidecar_ns a)
LLOG=$BT/listeners.log
: >"$LLOG"
t_bg nsenter --net="$SNS" python3 -c '
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
def tcp(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen()
    while True:
        c, peer = s.accept()
        log.write("tcp %d from %s\n" % (port, peer[0]))
        c.close()
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        data, peer = s.recvfrom(2048)
        log.write("udp %d from %s\n" % (port, peer[0]))
for p in (22, 8889, 9090):
    threading.Thread(target=tcp, args=(p,), daemon=True).start()
udp(53)' "$LLOG"
for _ in $(seq 100); do
  [ "$(nsenter --net="$SNS" ss -Hln | grep -cE ':(22|8889|9090|53) ')" -ge 4 ] && break
  sleep 0.05
done
for port in 22 8889 9090; do
  nsenter --net="$SNS" busybox nc -w 2 127.0.0.1 "$port" </dev/null >/dev/null 2>&1
done
nsenter --net="$SNS" bash -c 'echo probe >/dev/udp/127.0.0.1/53'
for _ in $(seq 50); do [ "$(grep -c . "$LLOG")" -ge 4 ] && break; sleep 0.05; done
check_eq "row 18 control: the sidecar's listeners answer its own loopback" \
  "tcp 22 from 127.0.0.1 tcp 8889 from 127.0.0.1 tcp 9090 from 127.0.0.1 udp 53 from 127.0.0.1" \
  "$(LC_ALL=C sort "$LLOG" | tr '\n' ' ' | sed 's/ $//')"
: >"$LLOG"
check_eq "row 18 control: the proxy port answers" "tcp4: ok" "$(tx a probe tcp4 "$S" 8888)"
for port in 22 53 80 443 8080 8889 9090; do
  check_eq "row 18: sidecar:$port refused at once" \
    "tcp4: ECONNREFUSED (Connection refused)" "$(tx a probe tcp4 "$S" "$port")"
done
for port in 53 22 9090; do tx a probe udp4 "$S" "$port" >/dev/null; done
sleep 0.2 # a datagram that got through would have been logged by now
check_eq "row 18: nothing of the agent's reached a sidecar listener (TCP 22, 8889, 9090; UDP 53)" \
  "" "$(cat "$LLOG")"

# --- row 11: routes and addresses
caps=$(tx a grep CapEff /proc/self/status | awk '{print $2}')
check_eq "row 11: CAP_NET_ADMIN and CAP_NET_RAW asked for, dropped (CapEff $caps)" 0 \
  "$(((0x$caps >> 12) & 3))"
out=$(tx a ip route add default via "$S")
check_contains "row 11: ip route add default via the sidecar: not permitted" \
  "Operation not permitted" "$out"
# An agent that kept CAP_NET_ADMIN: the host adds the route for it. The sidecar netns must
# neither forward nor accept anything but TCP to the proxy port.
nsenter --net="$AGENT_NS" ip route add default via "$S" dev eth0
GW=$(t_uplink_gw a)
US=$(t_uplink_sidecar_ip a)
for target in "$I 80" "$I 53" "$GW 80" "$US 8888" "192.0.2.1 80"; do
  out=$(tx a probe tcp4 $target)
  case $out in
    "tcp4: EHOSTUNREACH"* | "tcp4: ECONNREFUSED"* | "tcp4: ENETUNREACH"*)
      ok "row 11: default route via the sidecar, ${target/ /:}: fails at once ($out)" ;;
    *) fail "row 11: default route via the sidecar, ${target/ /:}: expected an immediate error, got '$out'" ;;
  esac
done
out=$(tx a nslookup example.test "$I")
check_fails "row 11: DNS via the sidecar route gets no answer ($out)" grep -q "^Name:" <<<"$out"
# Addresses inside the uplink /30 and the whole pool make them "on-link" through the sidecar's veth.
nsenter --net="$AGENT_NS" ip addr add 10.232.255.254/16 dev eth0
for target in "$GW 80" "$US 8888" "$I 80"; do
  out=$(tx a probe tcp4 $target)
  check_fails "row 11: with an uplink-pool address, ${target/ /:} is still unreachable ($out)" \
    test "$out" = "tcp4: ok"
done
check_eq "row 11: sidecar netns: forwarding off" "0 0" \
  "$(nsenter --net="$(t_sidecar_ns a)" sh -c 'echo $(cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/forwarding)')"
check_eq "row 11 control: the proxy still works" "hello from the test internet" \
  "$(tx a wget -q -O- http://example.test/)"

# --- row 30: kill the sidecar; nothing opens
SROOT=$BT_ROOT/.bottle/a/state
spid=$("$BOTTLE" --root "$SROOT" state sidecar | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
check "row 30: sidecar pid found ($spid)" test "$spid" -gt 1
kill -KILL "$spid"
for i in $(seq 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
check_fails "row 30: the sidecar is gone" kill -0 "$spid" 2>/dev/null
check_eq "row 30: proxy port now refused" "tcp4: ECONNREFUSED (Connection refused)" \
  "$(tx a probe tcp4 "$S" 8888)"
nsenter --net="$AGENT_NS" ip route del default 2>/dev/null
nsenter --net="$AGENT_NS" ip addr del 10.232.255.254/16 dev eth0 2>/dev/null
check_eq "row 30: direct to the internet still ENETUNREACH" \
  "tcp4: ENETUNREACH (Network is unreachable)" "$(tx a probe tcp4 "$I" 80)"
out=$(tx a wget -q -O- http://example.test/)
check_fails "row 30: no fallback path to the allowlisted host ($out)" \
  grep -q "hello from the test internet" <<<"$out"
check_eq "row 30: agent netns still has no default route" "" \
  "$(nsenter --net="$AGENT_NS" ip -4 route show default)"
check_contains "row 30: bottle state says the sidecar stopped" '"sidecar": "stopped"' "$(bt state a)"
check_contains "row 30: bottle logs says egress is closed" "the sidecar is not running" "$(bt logs a)"
finish

#!/usr/bin/env bash
# Issue 4, own uplink on a real Docker host: a real dockerd 20.10 with its iptables management
# on (FORWARD policy DROP, DOCKER/DOCKER-USER chains through iptables-nft, masquerade for its
# bridge, ip_forward=1) runs in the private host netns of integration/bottled.lib.sh, and only
# there. A bottled busybox agent (own-uplink sidecar netns, pipelock double) must still reach
# the test internet through the proxy; the sidecar netns fetches HTTP and resolves through
# the test DNS; without bottle's DOCKER-USER accepts dockerd's policy drops the uplink's
# traffic; iptables-nft reads back bottle's rules and dockerd can still edit its tables (a
# network create/remove, a restart) while the bottle is up; delete removes bottle's rules and
# leaves dockerd's exactly as they were (iptables-save without counters, the whole nft
# ruleset and everything bt_snapshot lists). dockerd starts first here: a bottle built before
# dockerd's first start gets no DOCKER-USER accepts, which netns/ does not handle yet.
# shellcheck source=integration/bottled.lib.sh
. "$(dirname "$0")/bottled.lib.sh"
DOCKERD=${ENGINE_DOCKERD_BIN:-/usr/sbin/dockerd}
DOCKER=${ENGINE_DOCKER_BIN:-/usr/bin/docker}
for t in "$DOCKERD" "$DOCKER" containerd iptables iptables-save curl; do
  [ -x "$t" ] || command -v "$t" >/dev/null || skip "needs $t"
done
iptables --version 2>/dev/null | grep -q nf_tables || skip "needs iptables-nft (iptables --version says $(iptables --version 2>&1))"

bottled_setup dkfw
DK="" DK_PID=""
# Stops dockerd (it stops its containerd); killed if it ignores SIGTERM for 10 s.
dockerd_stop() {
  [ -n "$DK_PID" ] || return 0
  kill -TERM "$DK_PID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$DK_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DK_PID" 2>/dev/null
  wait "$DK_PID" 2>/dev/null
  DK_PID=""
}
dkfw_cleanup() {
  local rc=$? p
  trap - EXIT
  dockerd_stop
  # The containerd dockerd spawned names our directory in its argv; it goes with dockerd,
  # unless dockerd had to be killed.
  if [ -n "$DK" ]; then
    for p in /proc/[0-9]*; do
      tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$DK/" && kill -KILL "${p#/proc/}" 2>/dev/null
    done
  fi
  bottled_cleanup
  exit "$rc"
}
trap dkfw_cleanup EXIT
trap 'exit 130' INT TERM

# dockerd in BT_HOST only (nsenter changes nothing but the netns): its iptables calls, bridge,
# sysctls and masquerade land in that netns. Its own data, exec root, socket and containerd
# live under $BT; its bridge docker0 (private to BT_HOST) gets a TEST-NET address that no
# other part of this test uses.
DK=$BT/docker
mkdir -p "$DK"
DK_SOCK=$DK/docker.sock
cat >"$DK/daemon.json" <<EOF
{
  "bip": "192.0.2.65/26",
  "iptables": true,
  "ip-forward": true,
  "ip-masq": true,
  "storage-driver": "vfs",
  "log-level": "warn"
}
EOF
dk() { "$DOCKER" -H "unix://$DK_SOCK" "$@"; }
ipt() { bt_host iptables "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
# dockerd's and bottle's rules, as iptables-nft reads them back, without counters.
ipt_save() { bt_host iptables-save | sed -E '/^#/d; s/ \[[0-9]+:[0-9]+\]$//'; }
# bt_snapshot with nft counters dropped (packets forwarded while the bottle is up pass
# dockerd's counted rules) and the chains of each nft table in name order (a dockerd restart
# re-creates its chains, which nft then lists in another order).
snapshot() {
  bt_snapshot 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/' | python3 -c '
import re, sys
chain = re.compile(r"^\tchain [^\n]*\{\n.*?^\t\}\n", re.S | re.M)
def table(m):
    body = m.group(2)
    return m.group(1) + re.sub(r"\n\n+", "\n", chain.sub("", body)).lstrip("\n") + "".join(sorted(chain.findall(body))) + m.group(3)
sys.stdout.write(re.sub(r"(^table [^\n]*\{\n)(.*?)(^\}\n)", table, sys.stdin.read(), flags=re.S | re.M))'
}

# Ready when the API answers and DOCKER-USER exists (dockerd adds it after its other chains).
dockerd_start() {
  local _
  nsenter --net="/run/netns/$BT_HOST" "$DOCKERD" --config-file "$DK/daemon.json" \
    --data-root "$DK/data" --exec-root "$DK/exec" --pidfile "$DK/dockerd.pid" \
    -H "unix://$DK_SOCK" >>"$DK/dockerd.log" 2>&1 &
  DK_PID=$!
  for _ in $(seq 300); do
    dk version >/dev/null 2>&1 && ipt -S DOCKER-USER >/dev/null 2>&1 && return 0
    kill -0 "$DK_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 30 "$DK/dockerd.log"
  return 1
}
if ! dockerd_start; then
  fail "dockerd came up with its iptables chains"
  finish
  exit 1
fi
ok "dockerd came up with its iptables chains"

check_contains "dockerd set the FORWARD policy to DROP" "-P FORWARD DROP" "$(ipt -S FORWARD 2>&1)"
check_contains "FORWARD jumps to DOCKER-USER" "-A FORWARD -j DOCKER-USER" "$(ipt -S FORWARD 2>&1)"
check_contains "dockerd masquerades its bridge" "-A POSTROUTING -s 192.0.2.64/26 ! -o docker0 -j MASQUERADE" \
  "$(ipt -t nat -S POSTROUTING 2>&1)"
check_eq "dockerd turned ip_forward on (in BT_HOST only)" 1 "$(bt_host cat /proc/sys/net/ipv4/ip_forward)"
check "the chains are iptables-nft's (nft lists DOCKER-USER)" quiet bt_host nft list chain ip filter DOCKER-USER
dk_rules_before=$(ipt_save)
before=$(snapshot)

ID=dkfw-$$
bt_track "$ID"
name=$(bt_netns_name "$ID")
S=/run/bottle/netns/$name-s
bottled_agent "$BT/agent" sleep 600
check "create the bottle (own uplink)" bt create --bundle "$BT/agent" "$ID"
check "start the bottle" bt start "$ID"
hostif=$(bt_host ip -o link show | grep -o 'btlh[0-9a-f]*' | head -1)
check "uplink veth on the host" test -n "$hostif"

check_contains "FORWARD policy still DROP with the bottle up" "-P FORWARD DROP" "$(ipt -S FORWARD 2>&1)"
user=$(ipt -S DOCKER-USER 2>&1)
check "iptables -S DOCKER-USER parses bottle's rules" quiet ipt -S DOCKER-USER
check_contains "DOCKER-USER accepts from the uplink" "-A DOCKER-USER -i $hostif -m comment --comment \"bottle:" "$user"
check_contains "DOCKER-USER accepts toward the uplink" "-A DOCKER-USER -o $hostif -m comment --comment \"bottle:" "$user"
check_eq "dockerd's RETURN stays the last rule" "-A DOCKER-USER -j RETURN" "$(tail -n 1 <<<"$user")"
save=$(bt_host iptables-save 2>&1)
check_fails "iptables-save finds no table incompatible" grep -qiE 'incompatible|warning' <<<"$save"

# Through the host's DROP-policy FORWARD chain: the sidecar netns itself, then the agent
# through the proxy (which resolves through the test DNS and leaves by the uplink).
check_eq "sidecar netns fetches from the internet host" "hello from the test internet" \
  "$(nsenter --net="$S" curl -sS --noproxy '*' -m 5 "http://$INTERNET_IP/" 2>&1)"
dns_before=$(internet_dns_count)
check_contains "sidecar netns resolves through the test DNS" "$INTERNET_IP" \
  "$(nsenter --net="$S" busybox nslookup example.test "$INTERNET_IP" 2>&1)"
check "the test resolver saw that lookup" test "$(internet_dns_count)" -gt "$dns_before"
check_contains "agent: allowlisted host through the proxy" "hello from the test internet" \
  "$(bt exec "$ID" wget -q -O- http://example.test/ 2>&1)"
check_contains "agent: direct TCP still fails at once" "Network is unreachable" \
  "$(bt exec "$ID" nc -w 2 "$INTERNET_IP" 80 </dev/null 2>&1)"

# The accepts in DOCKER-USER are what gets the uplink past the DROP policy: without them
# (removed by handle, put back below in the form bottle writes) a SYN from the sidecar netns
# is dropped by dockerd's policy, whose counter says so.
user_nft() { bt_host nft list chain ip filter DOCKER-USER | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }
policy_drops() { ipt -L FORWARD -v -x -n | sed -n '1s/.*policy DROP \([0-9]*\) packets.*/\1/p'; }
user_with_bottle=$(user_nft)
tag=$(grep -o 'bottle:[0-9a-f]*' <<<"$user" | head -1)
for h in $(bt_host nft -a list chain ip filter DOCKER-USER | sed -n "/$tag/s/.*# handle \([0-9]*\)$/\1/p"); do
  bt_host nft delete rule ip filter DOCKER-USER handle "$h"
done
drops=$(policy_drops)
check_fails "without bottle's accepts the sidecar cannot connect" \
  nsenter --net="$S" curl -sS --noproxy '*' --connect-timeout 1 -o /dev/null "http://$INTERNET_IP/"
check "dockerd's FORWARD policy dropped it" test "$(policy_drops)" -gt "${drops:-0}"
bt_host nft insert rule ip filter DOCKER-USER oifname "\"$hostif\"" accept comment "\"$tag\""
bt_host nft insert rule ip filter DOCKER-USER iifname "\"$hostif\"" accept comment "\"$tag\""
check_same "bottle's accepts put back as they were" "$user_with_bottle" "$(user_nft)"

# dockerd edits its tables with iptables-nft while bottle's rules are in them: a network
# create (new bridge, FORWARD/DOCKER/nat rules) and remove.
check "dockerd creates a network with the bottle up" quiet dk network create --subnet 192.0.2.128/26 "dkfw-net-$$"
check "dockerd removes it again" quiet dk network rm "dkfw-net-$$"
check_contains "bottle's rules survive dockerd's edits" "-i $hostif" "$(ipt -S DOCKER-USER 2>&1)"
check_eq "agent still reaches the allowlisted host" "hello from the test internet" \
  "$(bt exec "$ID" wget -q -O- http://example.test/ 2>&1)"

# A dockerd restart (it re-creates its chains and re-checks DOCKER-USER) keeps them.
dockerd_stop
check "dockerd restarts" dockerd_start
check_contains "bottle's rules survive a dockerd restart" "-i $hostif" "$(ipt -S DOCKER-USER 2>&1)"
check_eq "agent reaches the allowlisted host after the restart" "hello from the test internet" \
  "$(bt exec "$ID" wget -q -O- http://example.test/ 2>&1)"

check "delete the bottle" bt delete --force "$ID"
after=$(ipt -S DOCKER-USER 2>&1)
check_eq "DOCKER-USER back to dockerd's own" "-N DOCKER-USER
-A DOCKER-USER -j RETURN" "$after"
check_fails "no bottle rule left in iptables" grep -q bottle: <<<"$(ipt_save)"
check_fails "bottle's nft table is gone" quiet bt_host nft list table ip bottle
check_same "dockerd's rules exactly as before (iptables-save, no counters)" "$dk_rules_before" "$(ipt_save)"
check_same "host as before (links, routes, nft, sysctls, mounts, processes)" "$before" "$(settle snapshot "$before")"
check "dockerd still answers" quiet dk info
check_eq "dockerd still ran with its own iptables management" "" \
  "$(grep -iE 'iptables (failed|error)|incompatible' "$DK/dockerd.log")"
finish

# shellcheck shell=bash
# Shared setup for integration/threats_*.sh: threats.md §7 rows tried from inside a bottled
# agent started by `bottle run -d` in own-uplink mode, with the pipelock test double as the
# sidecar. Builds on integration/bottled.lib.sh (private "host" netns BT_HOST whose only
# default route points into a dead veth, the test internet on 198.51.100.0/24, bottle.json
# with sidecar.bundle = the double, network.dns = [INTERNET_IP], allowlist ["example.test"]).
#
#   threats_setup TAG            bottled_setup TAG + the static probe at $TPROBE
#   threats_agent ID [PYTHON]    a busybox agent running `sleep 3600` with the probe at
#                                /bin/probe (and nslookup, ping6, netstat); PYTHON edits its config.json (bundle_edit);
#                                started with `bottle run -d ID`; returns non-zero on failure
#                                (the run log is printed)
#   tx ID CMD...                 bottle exec ID CMD..., stdout and stderr together
#   tsh ID SCRIPT                bottle exec ID sh -c SCRIPT
#   t_sidecar_ip ID              the proxy's address (record.json)
#   t_sidecar_ns ID              the sidecar netns bind mount
#   t_uplink_gw ID               the sidecar's default gateway (the host end of its uplink)
#   t_uplink_sidecar_ip ID       the sidecar's own uplink address
#   t_sidecar_ll ID              the IPv6 link-local address the sidecar's veth end would have
#                                (EUI-64 of its MAC; IPv6 is off there, so it has none)
#   t_proxy_raw ID REQUEST       sends REQUEST (printf format) to the proxy from inside the
#                                agent with busybox nc and prints the answer
#   t_status ANSWER              the status code of an HTTP answer ("" when there is none)
#   t_bg CMD...                  start CMD (a program, not a function) in the background;
#                                killed by the EXIT trap
#   t_canary IP PORT TEXT        in BT_HOST: IP on lo (unless BT_HOST has it) and a busybox
#                                httpd on IP:PORT serving TEXT; waits until it listens
#
# Network: every target is INTERNET_IP, the sidecar, addresses of BT_HOST, or loopback.
. "$(dirname "${BASH_SOURCE[0]}")/bottled.lib.sh"

TPROBE=
_t_pids=()

threats_cleanup() {
  local p
  for p in "${_t_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${_t_pids[@]}"; do wait "$p" 2>/dev/null; done
  _t_pids=()
  bottled_cleanup
}

threats_setup() {
  command -v gcc >/dev/null || skip "needs gcc (static probe)"
  [ "$(uname -m)" = x86_64 ] || skip "the probe's int 0x80/x32 checks are x86_64"
  bottled_setup "$1"
  trap threats_cleanup EXIT
  TPROBE=$BT/threats-probe
  gcc -static -O1 -o "$TPROBE" "$BOTTLE_TOP/integration/threats-probe.c" ||
    skip "gcc -static failed (static libc missing?)"
}

threats_agent() {
  local id=$1 edit=${2:-}
  bottled_agent "$BT/$id" sleep 3600
  cp "$TPROBE" "$BT/$id/rootfs/bin/probe"
  local applet # not in tests/bundle.lib.sh's list
  for applet in nslookup ping6 netstat; do ln -sf busybox "$BT/$id/rootfs/bin/$applet"; done
  [ -z "$edit" ] || bundle_edit "$BT/$id" "$edit"
  bt_track "$id"
  if ! (cd "$BT/$id" && bt run -d "$id" </dev/null >"$BT/$id.run.log" 2>&1); then
    echo "--- bottle run -d $id failed:"
    cat "$BT/$id.run.log"
    return 1
  fi
}

tx() {
  local id=$1
  shift
  timeout 30 "$BOTTLE" --root "$BT_ROOT" --config "${BT_CONFIG_FILE:-$BT_CONF}" exec "$id" "$@" \
    </dev/null 2>&1
}
tsh() { tx "$1" sh -c "$2"; }

_t_record() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
    "$BT_ROOT/.bottle/$1/record.json" "$2"
}
t_sidecar_ip() { _t_record "$1" sidecar_ip; }
t_sidecar_ns() { echo "/run/bottle/netns/$(bt_netns_name "$1")-s"; }
t_uplink_gw() {
  nsenter --net="$(t_sidecar_ns "$1")" ip -4 route show default | awk '{print $3; exit}'
}
t_uplink_sidecar_ip() {
  nsenter --net="$(t_sidecar_ns "$1")" ip -4 -o addr show dev uplink0 |
    awk '{split($4, a, "/"); print a[1]; exit}'
}

t_sidecar_ll() {
  local ns ifname mac
  ns=$(t_sidecar_ns "$1")
  ifname=$(nsenter --net="$ns" ip -o -4 addr show to "$(t_sidecar_ip "$1")/32" | awk '{print $2; exit}')
  mac=$(nsenter --net="$ns" ip -o link show dev "$ifname" | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
  python3 -c 'import sys; b=[int(x,16) for x in sys.argv[1].split(":")]; b[0]^=2; e=b[:3]+[0xff,0xfe]+b[3:]; print("fe80::%x:%x:%x:%x" % tuple((e[i]<<8)|e[i+1] for i in range(0,8,2)))' "$mac"
}

t_proxy_raw() {
  local id=$1 req=$2
  tx "$id" sh -c 'printf "$1" | nc "$2" 8888' sh "$req" "$(t_sidecar_ip "$id")"
}
t_status() { printf '%s\n' "$1" | awk 'NR == 1 && /^HTTP\// {print $2}'; }

t_bg() {
  "$@" &
  _t_pids+=($!)
}

t_canary() {
  local ip=$1 port=$2 text=$3 dir i
  dir=$(mktemp -d "$BT/canary.XXXXXX")
  echo "$text" >"$dir/index.html"
  bt_host ip -o addr show | grep -qF " $ip/" || bt_host ip addr add "$ip/32" dev lo
  t_bg nsenter --net="/run/netns/$BT_HOST" busybox httpd -f -p "$ip:$port" -h "$dir"
  for i in $(seq 100); do
    bt_host ss -Hltn | grep -qF "$ip:$port" && return 0
    sleep 0.05
  done
  echo "t_canary: httpd on $ip:$port did not start" >&2
  return 1
}

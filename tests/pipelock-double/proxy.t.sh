#!/usr/bin/env bash
# The double as a proxy on loopback: /health, CONNECT and absolute-URI requests
# through pipelock's allowlist (MatchDomain), SSRF and DNS ordering, the 403
# bodies of pipelock.md §3.6 and the JSON audit lines. Upstream is busybox httpd
# on 127.0.0.1; names resolve only through a counting fake DNS on 127.0.0.1.
. "$(dirname "$0")/double.lib.sh"
command -v busybox >/dev/null || skip "busybox not installed"

mkdir -p "$WORK/www"
echo "hello from upstream" >"$WORK/www/index.html"
mkdir -p "$WORK/www/cgi-bin"
cat >"$WORK/www/cgi-bin/echo" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
printf 'method=%s x-test=%s body=' "$REQUEST_METHOD" "$HTTP_X_TEST"
head -c "${CONTENT_LENGTH:-0}"
CGI
cat >"$WORK/www/cgi-bin/gzip" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\nContent-Encoding: gzip\r\n\r\nnot really gzip'
CGI
cat >"$WORK/www/cgi-bin/chunked" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'
printf '6\r\nhello \r\n7\r\nchunked\r\n0\r\n\r\n'
CGI
chmod 0755 "$WORK/www/cgi-bin/echo" "$WORK/www/cgi-bin/gzip" "$WORK/www/cgi-bin/chunked"
start_httpd "$WORK/www" || { fail "busybox httpd"; finish; exit; }
UP=$HTTPD_PORT

DNSLOG=$WORK/dns.log
start_fake_dns "$DNSLOG" up.test=127.0.0.1 a.up.test=127.0.0.1 a.b.up.test=127.0.0.1 \
  ssrf.test=127.0.0.5 ip.test=127.0.0.1 exact.test=127.0.0.1 sub.exact.test=127.0.0.1 \
  badup.test=127.0.0.1 || { fail "fake dns"; finish; exit; }

cat >"$WORK/strict.yaml" <<'YAML'
version: 1
mode: "strict"
enforce: true
explain_blocks: true
api_allowlist:
  - "*.up.test"
  - "exact.test"
  - "ssrf.test"
  - "ip.test"
  - "nx.test"
  - "127.0.0.1"
forward_proxy:
  enabled: true
fetch_proxy:
  monitoring:
    max_requests_per_minute: 1000
dlp:
  include_defaults: true
  scan_env: true
ssrf:
  ip_allowlist:
    - "127.0.0.1/32"
trusted_domains:
  - "*.up.test"
  - "exact.test"
YAML
AUDIT=$WORK/audit.log
start_double "$WORK/strict.yaml" "$AUDIT" || { fail "double did not start"; finish; exit; }
PX=http://127.0.0.1:$PROXY_PORT
dns_queries() { grep -c "^$1 " "$DNSLOG"; }

# --- /health (§3.2), asked directly, not through the proxy
health=$(curl -s --noproxy '*' -D "$WORK/health.h" "$PX/health")
check_contains "health: status healthy" '"status":"healthy"' "$health"
check_contains "health: mode from the config" '"mode":"strict"' "$health"
check_contains "health: forward proxy enabled" '"forward_proxy_enabled":true' "$health"
check_contains "health: 48 DLP patterns" '"dlp_patterns":48' "$health"
for field in version uptime_seconds response_scan_enabled git_protection_enabled \
  rate_limit_enabled websocket_proxy_enabled request_body_scan_enabled \
  tls_interception_enabled kill_switch_active; do
  check_contains "health: has $field" "\"$field\":" "$health"
done
check_contains "health: JSON content type" "Content-Type: application/json" "$(cat "$WORK/health.h")"
check "healthcheck subcommand succeeds" "$DOUBLE" healthcheck --addr "127.0.0.1:$PROXY_PORT"
check_eq "other paths: 404" 404 "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$PX/metricz")"

# --- absolute-URI HTTP (§3.5)
check_eq "absolute-URI allowed: body relayed" "hello from upstream" \
  "$(curl -s -x "$PX" "http://up.test:$UP/index.html")"
code=$(curl -s -o "$WORK/blocked.body" -w '%{http_code}' -x "$PX" "http://badup.test:$UP/index.html")
check_eq "absolute-URI blocked: 403" 403 "$code"
check_eq "absolute-URI blocked: body" "blocked: domain not in allowlist: badup.test" "$(cat "$WORK/blocked.body")"
check_eq "absolute-URI upstream 404 passes through" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' -x "$PX" "http://up.test:$UP/missing")"
check_eq "absolute-URI POST: method, header and body reach upstream" "method=POST x-test=yes body=x=1&y=2" \
  "$(curl -s -x "$PX" -H 'X-Test: yes' -d 'x=1&y=2' "http://up.test:$UP/cgi-bin/echo")"
check_eq "absolute-URI chunked upstream body is decoded" "hello chunked" \
  "$(curl -s -x "$PX" "http://up.test:$UP/cgi-bin/chunked")"
code=$(curl -s -o "$WORK/gz.body" -w '%{http_code}' -x "$PX" "http://up.test:$UP/cgi-bin/gzip")
check_eq "absolute-URI compressed response: 403" 403 "$code"
check_eq "absolute-URI compressed response: body" "blocked: compressed response cannot be scanned" "$(cat "$WORK/gz.body")"
check_contains "explain_blocks: hint header on a block" "X-Pipelock-Hint: " \
  "$(curl -s -i -x "$PX" "http://badup.test:$UP/")"

# --- CONNECT (§3.4)
check_eq "CONNECT allowed: relay works" "hello from upstream" \
  "$(curl -s -p -x "$PX" "http://a.b.up.test:$UP/index.html")"
curl -s -p -x "$PX" -o /dev/null "http://badup.test:$UP/index.html"
check_eq "CONNECT blocked: curl exit 56" 56 "$?"
check_eq "CONNECT blocked: 403" 403 \
  "$(curl -s -p -x "$PX" -o /dev/null -w '%{http_connect}' "http://badup.test:$UP/")"
resp=$(raw_request "$PROXY_PORT" "CONNECT badup.test:$UP HTTP/1.1\r\nHost: badup.test:$UP\r\n\r\n")
check_eq "CONNECT blocked: status line" "HTTP/1.1 403 Forbidden" "$(first_line <<<"$resp")"
check_eq "CONNECT blocked: body" "CONNECT blocked: domain not in allowlist: badup.test" "$(last_line <<<"$resp")"
resp=$(raw_request "$PROXY_PORT" "CONNECT BadUp.Test:$UP HTTP/1.1\r\n\r\n")
check_eq "CONNECT blocked: host lowercased in body" \
  "CONNECT blocked: domain not in allowlist: badup.test" "$(last_line <<<"$resp")"
resp=$(raw_request "$PROXY_PORT" "CONNECT up.test HTTP/1.1\r\n\r\n")
check_contains "CONNECT without port means :443 (dial refused -> 502)" "tunnel dial failed" "$resp"

# --- MatchDomain (§4)
allowed_connect() { curl -s -p -x "$PX" -o /dev/null -w '%{http_connect}' "http://$1:$UP/"; }
check_eq "wildcard matches apex" 200 "$(allowed_connect up.test)"
check_eq "wildcard matches one level" 200 "$(allowed_connect a.up.test)"
check_eq "wildcard matches any depth" 200 "$(allowed_connect a.b.up.test)"
check_eq "wildcard does not match suffix-alike" 403 "$(allowed_connect badup.test)"
check_eq "exact entry matches itself" 200 "$(allowed_connect exact.test)"
check_eq "exact entry does not match subdomains" 403 "$(allowed_connect sub.exact.test)"
resp=$(raw_request "$PROXY_PORT" "CONNECT UP.TEST.:$UP HTTP/1.1\r\n\r\nGET /index.html HTTP/1.0\r\n\r\n")
check_eq "case and trailing dot ignored" "HTTP/1.1 200 Connection Established" "$(first_line <<<"$resp")"
check_contains "case and trailing dot: tunnel relays" "hello from upstream" "$resp"

# --- IP literals: exact only, after canonicalising hex/octal/integer forms (§3.7, §4)
for form in 127.0.0.1 0x7f000001 2130706433 0177.0.0.1 127.1 0x7f.0.0.1; do
  resp=$(raw_request "$PROXY_PORT" "CONNECT $form:$UP HTTP/1.1\r\n\r\nGET /index.html HTTP/1.0\r\n\r\n")
  check_eq "IP literal $form canonicalises to allowlisted 127.0.0.1" \
    "HTTP/1.1 200 Connection Established" "$(first_line <<<"$resp")"
done
resp=$(raw_request "$PROXY_PORT" "CONNECT 0x7f000002:$UP HTTP/1.1\r\n\r\n")
check_eq "IP literal block names the canonical address" \
  "CONNECT blocked: domain not in allowlist: 127.0.0.2" "$(last_line <<<"$resp")"
resp=$(raw_request "$PROXY_PORT" "GET http://2130706434:$UP/ HTTP/1.1\r\nHost: x\r\n\r\n")
check_eq "absolute-URI IP literal canonicalised too" \
  "blocked: domain not in allowlist: 127.0.0.2" "$(last_line <<<"$resp")"

# --- SSRF (§3.6, §4.1, §4.4)
resp=$(raw_request "$PROXY_PORT" "CONNECT ssrf.test:$UP HTTP/1.1\r\n\r\n")
check_eq "SSRF: allowlisted name on loopback is blocked" \
  "CONNECT blocked: SSRF blocked: ssrf.test resolves to internal IP 127.0.0.5" "$(last_line <<<"$resp")"
check_eq "SSRF: absolute-URI body" "blocked: SSRF blocked: ssrf.test resolves to internal IP 127.0.0.5" \
  "$(curl -s -x "$PX" "http://ssrf.test:$UP/")"
check_eq "SSRF: ssrf.ip_allowlist /32 lets ip.test through" "hello from upstream" \
  "$(curl -s -p -x "$PX" "http://ip.test:$UP/index.html")"
resp=$(raw_request "$PROXY_PORT" "CONNECT nx.test:$UP HTTP/1.1\r\n\r\n")
check_contains "SSRF: DNS failure is a 403 SSRF check failure" \
  "CONNECT blocked: SSRF check failed: DNS resolution error for nx.test: lookup nx.test on 127.0.0.1:$DNS_PORT: no such host" "$resp"

# --- subdomain entropy (§5.1): after the allowlist, before DNS
resp=$(raw_request "$PROXY_PORT" "CONNECT abcdefghijklmnopqr.up.test:$UP HTTP/1.1\r\n\r\n")
check_eq "high-entropy label (18 distinct chars) blocked" \
  'CONNECT blocked: high entropy subdomain label "abcdefghijklmnopqr" (4.17 > 4.00 threshold)' \
  "$(last_line <<<"$resp")"
check_eq "high-entropy label never resolved" 0 "$(dns_queries abcdefghijklmnopqr.up.test)"
resp=$(raw_request "$PROXY_PORT" "CONNECT abcdefghijklmnop.up.test:$UP HTTP/1.1\r\n\r\n")
check_contains "16 distinct chars (4.00, not above) passes the entropy check" "SSRF check failed" "$resp"

# --- DNS ordering (§5.1): names failing the allowlist are never resolved
check_eq "blocked name: zero DNS queries" 0 "$(dns_queries badup.test)"
check_eq "blocked name: zero DNS queries for sub.exact.test" 0 "$(dns_queries sub.exact.test)"
check "allowed name was resolved" [ "$(dns_queries up.test)" -ge 1 ]
check_eq "IP literals are not resolved" 0 "$(grep -c '^[0-9]' "$DNSLOG")"

# --- audit log (§3.6)
check_contains "audit: startup line" '"event":"startup"' "$(head -n 1 "$AUDIT")"
line=$(grep '"event":"blocked"' "$AUDIT" | grep '"method":"CONNECT"' | grep '"target":"badup.test:' | head -n 1)
check_contains "audit: CONNECT block scanner" '"scanner":"allowlist"' "$line"
check_contains "audit: CONNECT block reason" '"reason":"domain not in allowlist: badup.test"' "$line"
check_contains "audit: CONNECT block target host:port" "\"target\":\"badup.test:$UP\"" "$line"
check_contains "audit: CONNECT block message" '"message":"request blocked"' "$line"
line=$(grep '"event":"blocked"' "$AUDIT" | grep '"method":"GET"' | grep 'badup.test' | head -n 1)
check_contains "audit: absolute-URI block logged" '"scanner":"allowlist"' "$line"
line=$(grep '"event":"blocked"' "$AUDIT" | grep '"scanner":"ssrf"' | head -n 1)
check_contains "audit: SSRF block" "\"reason\":\"SSRF blocked: ssrf.test resolves to internal IP 127.0.0.5\"" "$line"
check "audit: tunnel_open for allowed tunnel" grep -q "\"event\":\"tunnel_open\".*\"target\":\"a.b.up.test:$UP\"" "$AUDIT"
check "audit: tunnel_close for allowed tunnel" wait_for grep -q "\"event\":\"tunnel_close\".*\"target\":\"a.b.up.test:$UP\"" "$AUDIT"

# --- hostile host names in logs (threats.md #45)
raw_request "$PROXY_PORT" "CONNECT evil\x1b[31m\xe2\x80\x8b<b>.test:443 HTTP/1.1\r\n\r\n" >"$WORK/evil.resp"
check_contains "hostile host: 400" "HTTP/1.1 400" "$(first_line <"$WORK/evil.resp")"
long=$(printf 'a%.0s' $(seq 600))
raw_request "$PROXY_PORT" "CONNECT $long.test:443 HTTP/1.1\r\n\r\n" >/dev/null
check_eq "audit: no escape bytes" 0 "$(grep -c $'\x1b' "$AUDIT")"
check_eq "audit: no raw non-ASCII" 0 "$(LC_ALL=C grep -c $'[\x80-\xff]' "$AUDIT")"
check_eq "audit: no angle brackets" 0 "$(grep -c '[<>]' "$AUDIT")"
check "audit: hostile host appears sanitised" grep -qF 'evil?[31m????b?.test:443' "$AUDIT"
check "audit: long values are capped" [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$AUDIT")" -lt 2000 ]
check_eq "audit: every line is one JSON object" 0 "$(grep -vc '^{"level":".*"}$' "$AUDIT")"

# --- several clients at once
par=()
for i in $(seq 16); do
  curl -s -p -x "$PX" "http://a.up.test:$UP/index.html" >"$WORK/par.$i" &
  par+=("$!")
done
for p in "${par[@]}"; do wait "$p"; done
check_eq "16 concurrent tunnels all relayed" 16 "$(cat "$WORK"/par.* | grep -c 'hello from upstream')"

# A silent client (server-speaks-first) gets no bytes through the SNI check window
# but the double stays responsive to others meanwhile.
exec 4<>"/dev/tcp/127.0.0.1/$PROXY_PORT"
printf 'CONNECT up.test:%s HTTP/1.1\r\n\r\n' "$UP" >&4
check_eq "health answers while a tunnel waits" 200 \
  "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$PX/health")"
exec 4>&-

# --- SNI verification (§3.4): a ClientHello naming another host closes the tunnel
client_hello() { # NAME -> printf escapes of a minimal TLS 1.2 ClientHello with SNI NAME
  local name=$1 n=${#1} hex="" i
  hx() { printf '\\x%02x' "$@"; }
  local ext_len=$((n + 9)) hs_len=$((2 + 32 + 1 + 4 + 2 + 2 + n + 9))
  hex+=$(hx 0x16 3 1 $(((hs_len + 4) >> 8)) $(((hs_len + 4) & 255)))
  hex+=$(hx 1 0 $((hs_len >> 8)) $((hs_len & 255)) 3 3)
  for i in $(seq 32); do hex+=$(hx 7); done
  hex+=$(hx 0 0 2 0x13 1 1 0 $((ext_len >> 8)) $((ext_len & 255)))
  hex+=$(hx 0 0 $(((n + 5) >> 8)) $(((n + 5) & 255)) $(((n + 3) >> 8)) $(((n + 3) & 255)) 0 $((n >> 8)) $((n & 255)))
  hex+=$name
  printf '%s' "$hex"
}
resp=$(raw_request "$PROXY_PORT" "CONNECT up.test:$UP HTTP/1.1\r\n\r\n$(client_hello other.test)")
check_eq "SNI mismatch: tunnel answered then closed" "HTTP/1.1 200 Connection Established" "$(first_line <<<"$resp")"
check "SNI mismatch: logged" grep -q "\"event\":\"sni_mismatch\".*SNI other.test does not match CONNECT host up.test" "$AUDIT"
before=$(grep -c '"event":"sni_mismatch"' "$AUDIT")
opened=$(grep -c '"event":"tunnel_open"' "$AUDIT")
# The trailing blank line makes httpd answer the garbage at once and close.
raw_request "$PROXY_PORT" "CONNECT up.test:$UP HTTP/1.1\r\n\r\n$(client_hello UP.test.)\r\n\r\n" >/dev/null
check_eq "SNI match (case, trailing dot) is not a mismatch" "$before" "$(grep -c '"event":"sni_mismatch"' "$AUDIT")"
check_eq "SNI match opens the tunnel" $((opened + 1)) "$(grep -c '"event":"tunnel_open"' "$AUDIT")"

# --- SIGTERM ends it cleanly (pid 1 in the sidecar needs a handler)
kill -TERM "$DOUBLE_PID"
wait "$DOUBLE_PID"
check_eq "SIGTERM: exit 0" 0 "$?"
check "SIGTERM: shutdown logged" grep -q '"event":"shutdown"' "$AUDIT"

# --- enforce: false turns blocks into warnings; the SSRF-safe dialer still refuses (§1.2, §3.4)
cat >"$WORK/warn.yaml" <<'YAML'
mode: strict
enforce: false
api_allowlist: ["only.test"]
forward_proxy: {enabled: true}
trusted_domains: ["up.test"]
YAML
start_double "$WORK/warn.yaml" "$WORK/warn.log" || fail "warn-only double did not start"
check_eq "enforce false: non-allowlisted name is fetched" "hello from upstream" \
  "$(curl -s -x "http://127.0.0.1:$PROXY_PORT" "http://up.test:$UP/index.html")"
check "enforce false: warning logged" grep -q '"event":"warn_only".*"scanner":"allowlist"' "$WORK/warn.log"
check_eq "enforce false: SSRF still refused at dial" 502 \
  "$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$PROXY_PORT" "http://ssrf.test:$UP/")"
kill "$DOUBLE_PID"

# --- rate limit per site (§1.2, §3.6): a.up.test and up.test share the budget
cat >"$WORK/rate.yaml" <<'YAML'
mode: strict
api_allowlist: ["*.up.test"]
forward_proxy: {enabled: true}
trusted_domains: ["*.up.test"]
fetch_proxy: {monitoring: {max_requests_per_minute: 3}}
YAML
start_double "$WORK/rate.yaml" "$WORK/rate.log" || fail "rate-limited double did not start"
RPX=http://127.0.0.1:$PROXY_PORT
codes=""
for h in up.test a.up.test up.test; do
  codes+="$(curl -s -o /dev/null -w '%{http_code}' -x "$RPX" "http://$h:$UP/index.html") "
done
check_eq "rate limit: first 3 scans pass" "200 200 200 " "$codes"
check_eq "rate limit: 4th gets 429" 429 "$(curl -s -o "$WORK/rate.body" -w '%{http_code}' -x "$RPX" "http://a.up.test:$UP/")"
check_eq "rate limit: body" "blocked: rate limit exceeded for a.up.test" "$(cat "$WORK/rate.body")"
resp=$(raw_request "$PROXY_PORT" "CONNECT up.test:$UP HTTP/1.1\r\n\r\n")
check_eq "rate limit: CONNECT body" "CONNECT blocked: rate limit exceeded for up.test" "$(last_line <<<"$resp")"
check "rate limit: logged with scanner ratelimit" grep -q '"event":"blocked".*"scanner":"ratelimit"' "$WORK/rate.log"
kill "$DOUBLE_PID"

# --- known secrets from the double's own environment (dlp.scan_env, §5.1, §5.3)
secret=Zq8xK2mP9vR4tY7wB3nL6cD1
hexsecret=$(printf '%s' "$secret" | od -An -tx1 | tr -d ' \n')
cat >"$WORK/dlp.yaml" <<'YAML'
mode: strict
api_allowlist: ["*.up.test"]
forward_proxy: {enabled: true}
trusted_domains: ["*.up.test"]
YAML
: >"$DNSLOG"
SECRET_TOKEN=$secret start_double "$WORK/dlp.yaml" "$WORK/dlp.log" || fail "dlp double did not start"
check_eq "env secret in URL query: blocked" "blocked: environment variable leak detected" \
  "$(curl -s -x "http://127.0.0.1:$PROXY_PORT" "http://up.test:$UP/?q=$secret")"
resp=$(raw_request "$PROXY_PORT" "CONNECT $hexsecret.up.test:$UP HTTP/1.1\r\n\r\n")
check_eq "env secret hex-encoded in a CONNECT host: blocked" \
  "CONNECT blocked: environment variable leak detected" "$(last_line <<<"$resp")"
resp=$(raw_request "$PROXY_PORT" "CONNECT ${secret:0:8}.${secret:8:8}.${secret:16}.up.test:$UP HTTP/1.1\r\n\r\n")
check_eq "env secret split across labels (dot-collapsed): blocked" \
  "CONNECT blocked: environment variable leak detected" "$(last_line <<<"$resp")"
check_eq "secret-bearing names never reach DNS" 0 "$(grep -ci "${secret:0:8}\|$hexsecret" "$DNSLOG")"
check "DLP block logged with scanner dlp" grep -q '"event":"blocked".*"scanner":"dlp"' "$WORK/dlp.log"
check_eq "clean URL still allowed" "hello from upstream" \
  "$(curl -s -x "http://127.0.0.1:$PROXY_PORT" "http://up.test:$UP/index.html")"
kill "$DOUBLE_PID"
printf 'dlp: {scan_env: false}\n' >>"$WORK/dlp.yaml"
SECRET_TOKEN=$secret start_double "$WORK/dlp.yaml" "$WORK/dlp2.log" || fail "dlp double did not start"
check_eq "scan_env false: env value not treated as a secret" "hello from upstream" \
  "$(curl -s -x "http://127.0.0.1:$PROXY_PORT" "http://up.test:$UP/index.html?q=$secret")"
kill "$DOUBLE_PID"

# --- forward proxy disabled (§3.3) and a balanced-mode config
cat >"$WORK/off.yaml" <<'YAML'
mode: balanced
YAML
start_double "$WORK/off.yaml" "$WORK/off.log" || fail "second double did not start"
PX=http://127.0.0.1:$PROXY_PORT
resp=$(raw_request "$PROXY_PORT" "CONNECT up.test:$UP HTTP/1.1\r\n\r\n")
check_eq "forward disabled: CONNECT 405" "HTTP/1.1 405 Method Not Allowed" "$(first_line <<<"$resp")"
check_eq "forward disabled: CONNECT body" "CONNECT not supported" "$(last_line <<<"$resp")"
resp=$(raw_request "$PROXY_PORT" "GET http://up.test:$UP/ HTTP/1.1\r\nHost: up.test\r\n\r\n")
check_eq "forward disabled: absolute-URI body" "forward proxy not enabled" "$(last_line <<<"$resp")"
health=$(curl -s --noproxy '*' "$PX/health")
check_contains "health: balanced mode" '"mode":"balanced"' "$health"
check_contains "health: forward proxy off" '"forward_proxy_enabled":false' "$health"
# --- /metrics and /stats (§1.2, §3.1): on the proxy listener without metrics_listen
check_contains "no metrics_listen: /metrics on the proxy port" "pipelock_uptime_seconds" \
  "$(curl -s --noproxy '*' "$PX/metrics")"
check_contains "no metrics_listen: /stats on the proxy port" '"uptime_seconds"' \
  "$(curl -s --noproxy '*' "$PX/stats")"
kill "$DOUBLE_PID"

# ... and only on their own listener with it
MPORT=$((20000 + RANDOM % 40000))
printf 'mode: balanced\nmetrics_listen: "127.0.0.1:%s"\n' "$MPORT" >"$WORK/metrics.yaml"
start_double "$WORK/metrics.yaml" "$WORK/metrics.log" || fail "metrics double did not start"
PX=http://127.0.0.1:$PROXY_PORT
check_eq "metrics_listen: /metrics on the proxy port is 404" 404 \
  "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$PX/metrics")"
check_eq "metrics_listen: /stats on the proxy port is 404" 404 \
  "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$PX/stats")"
check_contains "metrics_listen: /metrics on its own port" "pipelock_uptime_seconds" \
  "$(curl -s --noproxy '*' "http://127.0.0.1:$MPORT/metrics")"
check_contains "metrics_listen: /stats on its own port" '"uptime_seconds"' \
  "$(curl -s --noproxy '*' "http://127.0.0.1:$MPORT/stats")"
check_eq "metrics_listen: the metrics port serves nothing else" 404 \
  "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/health")"
check_contains "metrics_listen: /health stays on the proxy port" '"status":"healthy"' \
  "$(curl -s --noproxy '*' "$PX/health")"
kill "$DOUBLE_PID"
printf 'mode: balanced\nmetrics_listen: "203.0.113.99:%s"\n' "$MPORT" >"$WORK/metrics-bad.yaml"
out=$(timeout 10 "$DOUBLE" run --listen 127.0.0.1:0 --config "$WORK/metrics-bad.yaml" 2>&1 </dev/null)
check_contains "metrics_listen on an address it cannot bind: fatal" "metrics bind 203.0.113.99:$MPORT" "$out"

finish

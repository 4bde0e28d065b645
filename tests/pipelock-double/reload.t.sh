#!/usr/bin/env bash
# Hot reload as pipelock's config.Reloader does it (pipelock.md §3.1): a file renamed over the
# config (what `bottle policy` does) is seen by the watch on its directory and loaded, and so is
# the config on SIGHUP; other names in the directory are ignored; a config that fails to load
# is reported ("pipelock: config reload failed: ...") and the old one stays; forward_proxy.enabled
# does not change without a restart.
. "$(dirname "$0")/double.lib.sh"
command -v busybox >/dev/null || skip "busybox not installed"

mkdir -p "$WORK/www" "$WORK/etc"
echo "hello from upstream" >"$WORK/www/index.html"
start_httpd "$WORK/www" || { fail "busybox httpd"; finish; exit; }
start_fake_dns "$WORK/dns.log" a.test=127.0.0.1 b.test=127.0.0.1 || { fail "fake dns"; finish; exit; }

# config HOST [FORWARD]: a strict config allowing HOST (and the upstream's address).
config() {
  printf 'version: 1\nmode: "strict"\nenforce: true\napi_allowlist:\n  - "%s"\n  - "127.0.0.1"\n' "$1"
  printf 'forward_proxy:\n  enabled: %s\nssrf:\n  ip_allowlist:\n    - "127.0.0.1/32"\n' "${2:-true}"
}
config a.test >"$WORK/etc/pipelock.yaml"
LOG=$WORK/audit.log
start_double "$WORK/etc/pipelock.yaml" "$LOG" || { fail "double did not start"; finish; exit; }
PX=http://127.0.0.1:$PROXY_PORT
code() { curl -s -o /dev/null -w '%{http_code}' -x "$PX" "http://$1:$HTTPD_PORT/index.html"; }
reloads() { grep -c '"event":"config_reload"' "$LOG"; }
reloads_at_least() { [ "$(reloads)" -ge "$1" ]; }
# replace FILE: renames FILE over the config, as bottle policy does
replace() { mv "$1" "$WORK/etc/pipelock.yaml"; }

check_eq "a.test allowed" 200 "$(code a.test)"
check_eq "b.test blocked" 403 "$(code b.test)"

# Another name in the directory is not the config.
config b.test >"$WORK/etc/other.yaml"
config b.test >"$WORK/etc/.pipelock.yaml.tmp"
check_eq "b.test still blocked after other files changed" 403 "$(code b.test)"

config b.test >"$WORK/etc/.pipelock.yaml.tmp"
replace "$WORK/etc/.pipelock.yaml.tmp"
wait_for reloads_at_least 1
check_eq "a rename over the config reloads it (one reload)" 1 "$(reloads)"
check_eq "b.test allowed after the rename" 200 "$(code b.test)"
check_eq "a.test blocked after the rename" 403 "$(code a.test)"

config a.test >"$WORK/etc/pipelock.yaml.new"
cat "$WORK/etc/pipelock.yaml.new" >"$WORK/etc/pipelock.yaml.keep"
replace "$WORK/etc/pipelock.yaml.new"
wait_for reloads_at_least 2
kill -HUP "$DOUBLE_PID"
wait_for reloads_at_least 3
check_eq "SIGHUP reloads too" 3 "$(reloads)"
check_eq "a.test allowed again" 200 "$(code a.test)"

printf 'version: 1\nmode: "strict"\napi_allowlist: []\n' >"$WORK/etc/bad.yaml"
replace "$WORK/etc/bad.yaml"
kill -HUP "$DOUBLE_PID"
wait_for grep -qs "pipelock: config reload failed" "$LOG.err"
check_contains "a bad config is reported" "pipelock: config reload failed: " "$(cat "$LOG.err")"
check_eq "and the old one stays" 200 "$(code a.test)"
check_eq "no reload counted for it" 3 "$(reloads)"

config a.test false >"$WORK/etc/off.yaml"
replace "$WORK/etc/off.yaml"
kill -HUP "$DOUBLE_PID"
wait_for reloads_at_least 4
check_contains "forward_proxy.enabled needs a restart: still on" '"forward_proxy_enabled":true' \
  "$(curl -s --noproxy '*' "$PX/health")"
check_eq "and still proxying" 200 "$(code a.test)"
finish

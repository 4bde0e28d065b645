#!/usr/bin/env bash
# shellcheck disable=SC2016 # backticks below are yaml.v3 message text
# The double loads YAML as strictly as pipelock 2.3.0 (pipelock.md §1.1, §2):
# unknown keys at any depth, extra documents, type mismatches, duplicate keys and
# the validator rules all stop it, with "loading config: ..." on stderr.
. "$(dirname "$0")/double.lib.sh"

cfg() { printf '%s\n' "$2" >"$WORK/$1.yaml"; echo "$WORK/$1.yaml"; }

# accepts NAME YAML
accepts() {
  local f out
  f=$(cfg "$1" "$2")
  out=$("$DOUBLE" check --config "$f" 2>&1)
  check_eq "accepts: $1" "Config validation: OK" "$out"
}
# rejects NAME EXPECTED-SUBSTRING YAML
rejects() {
  local f out rc
  f=$(cfg "$1" "$3")
  out=$("$DOUBLE" check --config "$f" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then fail "rejects: $1 (accepted)"; return; fi
  check_contains "rejects: $1" "Config validation FAILED: " "$out"
  check_contains "rejects: $1 says why" "$2" "$out"
}

accepts section7 'version: 1
mode: "strict"
enforce: true
api_allowlist:
  - "*.anthropic.com"
  - "claude.ai"
  - "*.sentry.io"
  - "10.20.0.5"
forward_proxy:
  enabled: true
  max_tunnel_seconds: 28800
  idle_timeout_seconds: 900
dlp:
  include_defaults: true
  scan_env: true
ssrf:
  ip_allowlist:
    - "10.20.0.5/32"
trusted_domains:
  - "git.corp.example"'
accepts empty-file ''
accepts leading-document-marker '---
mode: balanced'
accepts empty-lists 'api_allowlist: []
ssrf:
  ip_allowlist: []
internal: []'
accepts all-listed-keys 'version: 1
mode: audit
enforce: false
explain_blocks: true
api_allowlist: [a.example]
forward_proxy: {enabled: false, max_tunnel_seconds: 0, idle_timeout_seconds: 1, sni_verification: false, redirect_websocket_hosts: []}
dlp:
  scan_env: false
  include_defaults: false
  patterns:
    - {name: "x", regex: "abc", severity: high, validator: luhn, exempt_domains: ["*.x.example"], action: warn}
  min_env_secret_length: 20
ssrf: {ip_allowlist: ["10.0.0.0/8", "fd00::/8"]}
trusted_domains: ["*.corp.example", "10.0.0.1"]
fetch_proxy:
  listen: 127.0.0.1:8888
  monitoring: {max_requests_per_minute: 0, subdomain_entropy_threshold: 4.5, subdomain_entropy_exclusions: ["*.cdn.example"]}
metrics_listen: ""
sentry: {enabled: false, dsn: ""}'
accepts yaml11-bool-word 'forward_proxy:
  enabled: yes'

accepts metrics-listen 'metrics_listen: "127.0.0.1:9464"'
rejects metrics-listen-same-port 'metrics_listen port 8888 collides with fetch_proxy.listen port 8888' \
  'metrics_listen: "127.0.0.1:8888"'
rejects metrics-listen-same-port-other-ip 'metrics_listen port 9464 collides with fetch_proxy.listen port 9464' \
  'metrics_listen: "127.0.0.1:9464"
fetch_proxy:
  listen: "10.231.0.1:9464"'
rejects metrics-listen-no-port 'invalid metrics_listen "127.0.0.1": address 127.0.0.1: missing port in address' \
  'metrics_listen: "127.0.0.1"'
rejects unknown-top-level 'field scan_env not found in the top level' 'scan_env: true'
rejects unknown-nested 'field trusted_domains not found in forward_proxy' 'forward_proxy:
  enabled: true
  trusted_domains: ["a.example"]'
rejects unknown-depth-3 'field blocklist not found in fetch_proxy.monitoring' 'fetch_proxy:
  monitoring:
    blocklist: []'
rejects unknown-in-pattern 'field regexp not found in dlp.patterns[]' 'dlp:
  patterns:
    - name: x
      regexp: abc'
rejects unlisted-real-key 'field logging not found' 'logging:
  format: json'
rejects two-documents 'multiple YAML documents not supported' 'mode: balanced
---
mode: strict'
rejects quoted-bool 'cannot unmarshal !!str `true` into bool' 'forward_proxy:
  enabled: "true"'
rejects quoted-int 'cannot unmarshal !!str `300` into int' 'forward_proxy:
  max_tunnel_seconds: "300"'
rejects word-into-int 'into int' 'version: one'
rejects list-into-string 'cannot unmarshal !!seq into a scalar' 'mode: [strict]'
rejects scalar-into-list 'into []string' 'api_allowlist: a.example'
rejects duplicate-key 'mapping key "mode" already defined at line 1' 'mode: strict
api_allowlist: [a.example]
mode: balanced'
rejects nested-duplicate 'mapping key "enabled" already defined' 'forward_proxy:
  enabled: true
  enabled: false'
rejects bad-mode 'invalid mode "permissive"' 'mode: permissive'
rejects strict-without-allowlist 'strict mode requires at least one domain in api_allowlist' 'mode: strict'
rejects strict-empty-allowlist 'strict mode requires at least one domain in api_allowlist' 'mode: strict
api_allowlist: []'
rejects dlp-action 'dlp.action is reserved' 'dlp:
  action: block'
rejects ip-allowlist-bare-ip 'invalid CIDR address: 10.20.0.5' 'ssrf:
  ip_allowlist: ["10.20.0.5"]'
rejects ip-allowlist-zero-prefix 'prefix length 0' 'ssrf:
  ip_allowlist: ["0.0.0.0/0"]'
rejects ip-allowlist-v6-zero-prefix 'prefix length 0' 'ssrf:
  ip_allowlist: ["::/0"]'
rejects ip-allowlist-host-bits 'has host bits set (did you mean "10.0.0.0/24"?)' 'ssrf:
  ip_allowlist: ["10.0.0.5/24"]'
rejects ip-allowlist-leading-zero 'invalid CIDR address' 'ssrf:
  ip_allowlist: ["010.0.0.5/32"]'
rejects trusted-url 'trusted_domains entry "https://a.example"' 'trusted_domains: ["https://a.example"]'
rejects trusted-port 'trusted_domains entry "a.example:443"' 'trusted_domains: ["a.example:443"]'
rejects trusted-star 'trusted_domains entry "*"' 'trusted_domains: ["*"]'
rejects trusted-tld-wildcard 'two labels' 'trusted_domains: ["*.com"]'
rejects trusted-inner-wildcard 'leading' 'trusted_domains: ["a*.corp.example"]'
rejects trusted-empty 'empty entry' 'trusted_domains: [""]'
rejects pattern-without-regex 'regex is required' 'dlp:
  patterns: [{name: x}]'
rejects pattern-bad-validator 'unknown validator' 'dlp:
  patterns: [{name: x, regex: y, validator: crc}]'
rejects entropy-exclusion 'subdomain_entropy_exclusions entry' 'fetch_proxy:
  monitoring:
    subdomain_entropy_exclusions: ["a.example/x"]'
rejects internal-garbage 'invalid CIDR in internal' 'internal: ["nope"]'
rejects root-not-mapping 'cannot unmarshal !!seq into config.Config' '- a'
rejects yaml-syntax 'yaml: line' 'mode: "strict'

secret=$WORK/secrets
echo s3cr3t >"$secret"
chmod 0644 "$secret"
rejects secrets-file-perms 'unsafe permissions' "dlp:
  secrets_file: $secret"
chmod 0600 "$secret"
accepts secrets-file-ok "dlp:
  secrets_file: $secret"
rejects secrets-file-missing 'No such file' "dlp:
  secrets_file: $WORK/none"

printf '"\\e[31mevil\\u200b": 1\n' >"$WORK/escape.yaml"
out=$("$DOUBLE" check --config "$WORK/escape.yaml" 2>&1)
check_contains "error text from the config is sanitised" 'field ?[31mevil??? not found' "$out"
check_eq "no escape byte reaches the error" 0 "$(printf '%s' "$out" | grep -c $'\x1b')"

out=$("$DOUBLE" check --config "$WORK/absent.yaml" 2>&1)
check_contains "check: missing file fails" "Config validation FAILED" "$out"

# run refuses the same configs before it listens, with pipelock's prefix.
f=$(cfg run-bad 'forward_proxy:
  enabled: "true"')
err=$("$DOUBLE" run --listen 127.0.0.1:0 --config "$f" 2>&1 >/dev/null)
rc=$?
check "run: bad config exits non-zero" [ "$rc" -ne 0 ]
check_contains "run: error starts with loading config" "loading config: parsing config $f: " "$err"
f=$(cfg run-strict 'mode: strict')
err=$("$DOUBLE" run --listen 127.0.0.1:0 --config "$f" 2>&1 >/dev/null)
check_eq "run: validator error wording" \
  "loading config: invalid config: strict mode requires at least one domain in api_allowlist" "$err"

finish

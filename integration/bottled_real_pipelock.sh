#!/usr/bin/env bash
# The end-to-end check with the real pipelock 2.3.0 as the sidecar instead of the test double.
# The image cannot be pulled on the project's machines, so this is skipped unless
# BOTTLE_REAL_PIPELOCK_BUNDLE names an unpacked bundle (docs/configuration.md: skopeo copy of the
# digest-pinned image, umoci unpack). It checks that pipelock accepts the YAML bottle generates
# (its parser rejects unknown keys) and enforces it: strict mode, the forward proxy, an allowed
# and a blocked request.
source "$(dirname "$0")/bottled.lib.sh"
real=${BOTTLE_REAL_PIPELOCK_BUNDLE:-}
[ -n "$real" ] || skip "no real pipelock bundle: set BOTTLE_REAL_PIPELOCK_BUNDLE (docs/configuration.md)"
[ -x "$real/rootfs/pipelock" ] ||
  skip "$real/rootfs/pipelock missing: unpack ghcr.io/luckypipewrench/pipelock:2.3.0 there"
bottled_setup real
bottled_config "$BT/real.json" "c['sidecar']['bundle'] = '$real'"
bottled_agent "$BT/agent" sh -c '
  wget -q -O- http://example.test/
  proxy=${HTTP_PROXY#http://}
  printf "GET http://blocked.test/ HTTP/1.0\r\n\r\n" | nc -w 5 ${proxy%:*} ${proxy#*:}
  printf "GET /health HTTP/1.0\r\nHost: $proxy\r\n\r\n" | nc -w 5 ${proxy%:*} ${proxy#*:}'
out=$(BT_CONFIG_FILE=$BT/real.json bt_run --yes "$BT/agent" 2>&1)
echo "$out"
check_contains "allowed host answers through the real pipelock" "hello from the test internet" "$out"
check_contains "blocked host gets pipelock's 403 body" "blocked: domain not in allowlist: blocked.test" "$out"
check_contains "the generated YAML loaded in strict mode" '"mode":"strict"' "$out"
check_contains "the forward proxy is on" '"forward_proxy_enabled":true' "$out"
check_eq "the blocked name was never resolved" 0 "$(grep -c blocked.test "$INTERNET_DNS_COUNT" || true)"
finish

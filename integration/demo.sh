#!/usr/bin/env bash
# make demo: a bottled agent on a machine of its own making.
#
# Builds, in temporary directories: a test "internet" (a network namespace with an HTTP and a
# DNS server on 198.51.100.0/24, reachable only from this host), the pipelock test double as
# the sidecar bundle (the real pipelock image cannot be pulled here; see docs/configuration.md
# for the real one), and a busybox agent bundle. Then `bottle-run` runs the agent, which makes
# one request to an allowed host and one to a host the policy does not allow, and tries to go
# around the proxy. Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export BOTTLE_TOP=$PWD BUILD=${BUILD:-build}
source tests/lib.sh
need_root
source tests/bundle.lib.sh
source tests/internet.lib.sh

work=$(mktemp -d /tmp/bottle-demo.XXXXXX)
cleanup() {
  internet_down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

internet_up demo >/dev/null # serves example.test

tests/pipelock-double/make-bundle.sh "$work/pipelock" >/dev/null
make_bundle "$work/agent" sh -c '
  echo "agent: GET http://example.test/ (allowlisted)"
  wget -q -O- http://example.test/ 2>&1 | sed "s/^/    /"
  echo "agent: GET http://blocked.test/ (not allowlisted), through \$HTTP_PROXY=$HTTP_PROXY"
  proxy=${HTTP_PROXY#http://}
  printf "GET http://blocked.test/ HTTP/1.0\r\n\r\n" | nc -w 5 ${proxy%:*} ${proxy#*:} 2>&1 |
    grep -E "^HTTP|blocked" | sed "s/^/    /"
  echo "agent: TCP straight to '"$INTERNET_IP"':80, ignoring the proxy"
  nc -w 2 '"$INTERNET_IP"' 80 </dev/null 2>&1 | sed "s/^/    /"
  true' >/dev/null
cat >"$work/bottle.json" <<EOF
{
  "sidecar": { "bundle": "$work/pipelock" },
  "egress": { "default_allowlist": ["example.test"] },
  "network": { "dns": ["$INTERNET_IP"] }
}
EOF

echo "== bottle-run --yes --config bottle.json agent-bundle"
"$BUILD/bottle-run" --yes --config "$work/bottle.json" --root "$work/root" "$work/agent"
echo "== the agent's bottle is gone: $(ls "$work/root" 2>/dev/null | wc -l) containers left"

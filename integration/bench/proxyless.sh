#!/usr/bin/env bash
# network.proxyless (issue 14, Done when 3): time to first byte of GET http://example.test/ from
# a bottled agent's network namespace, through the redirector (TCP to the sidecar's link address
# port 80, Host: example.test) against the explicit proxy (TCP to sidecar.port, absolute-form
# request), interleaved in one run against the test internet and the pipelock test double; and
# the bottle resolver's answer time for the allowed name. The client is python3 run in the
# agent's netns (nsenter --net), so both paths cross the same link and pipelock. Prints the
# marked section "proxyless" (run.sh merges it into docs/benchmarks.md). Not run by make test.
#
#   BENCH_REPS (200)   requests per path, after 10 unmeasured ones
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../bottled.lib.sh"
REPS=${BENCH_REPS:-200}
bottled_setup bench-proxyless
export BOTTLE_EGRESS_HELPER=$BUILD/bottle-egress
[ -x "$BOTTLE_EGRESS_HELPER" ] || skip "bottle-egress not built"
bottled_config "$BT/proxyless.json" 'c["network"]["proxyless"] = True'
# shellcheck disable=SC2034 # read by bt in bottled.lib.sh
BT_CONFIG_FILE=$BT/proxyless.json
id=pxbench-$$
bottled_agent "$BT/$id" sleep 3600
bt_track "$id"
(cd "$BT/$id" && bt run -d "$id" </dev/null >"$BT/run.log" 2>&1) || {
  cat "$BT/run.log" >&2
  exit 1
}
sip=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sidecar_ip"])' \
  "$BT_ROOT/.bottle/$id/record.json") || exit 1
result=$(nsenter --net="$(bt_agent_netns "$id")" python3 - "$sip" "$REPS" <<'PY'
import socket, struct, sys, time
sip, reps = sys.argv[1], int(sys.argv[2])

def ttfb(port, request):
    t = time.perf_counter()
    s = socket.create_connection((sip, port), timeout=10)
    s.sendall(request)
    first = s.recv(1)
    dt = time.perf_counter() - t
    while s.recv(65536):
        pass
    s.close()
    assert first == b"H", first
    return dt

def dns():
    q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x07example\x04test\x00" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    t = time.perf_counter()
    s.sendto(q, (sip, 53))
    a = s.recv(512)
    dt = time.perf_counter() - t
    s.close()
    assert a[3] & 15 == 0 and a[7] == 1
    return dt

explicit = b"GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"
direct = b"GET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"
series = {"explicit": [], "redirect": [], "dns": []}
for i in range(reps + 10):
    e, r, d = ttfb(8888, explicit), ttfb(80, direct), dns()
    if i >= 10:
        series["explicit"].append(e)
        series["redirect"].append(r)
        series["dns"].append(d)
for k, v in series.items():
    v.sort()
    print(k, "%.3f" % (v[len(v) // 2] * 1e3), "%.3f" % (v[int(len(v) * 0.95)] * 1e3))
PY
) || exit 1
row() { awk -v k="$1" '$1 == k { printf "%s | %s", $2, $3 }' <<<"$result"; }
cat <<EOF
<!-- BEGIN bench:proxyless -->
## network.proxyless: time to first byte

$(date -u +%Y-%m-%d), $(nproc) CPUs, $REPS requests per path, interleaved, from the agent's netns
to the test internet through the pipelock test double (integration/bench/proxyless.sh).

| Path | p50 ms | p95 ms |
|------|--------|--------|
| explicit proxy (\`sidecar.port\`, absolute-form GET) | $(row explicit) |
| redirector (port 80, \`Host\`) | $(row redirect) |
| bottle's resolver, A example.test (UDP) | $(row dns) |
<!-- END bench:proxyless -->
EOF

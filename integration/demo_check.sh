#!/usr/bin/env bash
# `make demo` is the first thing a new user runs: check that it shows the plan, one allowed
# and one blocked request, a direct connection failing, and leaves nothing behind.
source "$(dirname "$0")/../tests/lib.sh"
need_root
bottle_links() { ip -o link show | grep -c btl || true; }
links_before=$(bottle_links)
out=$("$BOTTLE_TOP/integration/demo.sh" 2>&1)
rc=$?
echo "$out"
check_eq "demo exits 0" 0 "$rc"
check_contains "plan shows the allowlist" "1 host allowed (example.test)" "$out"
check_contains "plan shows the network mode" "network:  own uplink" "$out"
check_contains "allowed request answered" "hello from the test internet" "$out"
check_contains "blocked request refused by pipelock" "blocked: domain not in allowlist: blocked.test" "$out"
check_contains "direct connection has no route" "Network is unreachable" "$out"
check_contains "nothing left in the root" "0 containers left" "$out"
check_eq "no bottle links left" "$links_before" "$(settle bottle_links "$links_before")"
finish

#!/usr/bin/env bash
# netns benchmark (issue 4): median time to build and tear down one topology (in-process,
# netns_build + netns_teardown, no exec), and how it grows while 1, 10, 50 and 100 other
# topologies exist. Runs in a private host netns with a fake dockerd "ip filter" FORWARD
# drop, like the tests. Prints the "## netns" section between bench:netns markers on stdout;
# `integration/bench/run.sh netns` (or make bench) merges it into docs/benchmarks.md.
. "$(dirname "$0")/../netns_common.lib.sh"
nn_setup
nn_fake_docker_forward_drop
nn_engine_ns || exit 1
# The uplink pool must hold 101 /30s; no packet is sent in the bench, and the addresses
# exist only inside this private host netns.
args=(port=8888 run_dir="$NN_DIR/run" state_dir="$NN_DIR/state" link_pool=192.0.2.0/24
  uplink_pool=10.214.0.0/16)

bench() { # MODE HELD ROUNDS -> "median min max build-median"
  local extra=()
  # Engine mode: all held topologies share one engine netns here (one per container in real
  # life), so each needs its own link /30 and the pool must hold 101 of them.
  [ "$1" = engine ] && extra=(engine="$ENG" link_pool=10.213.0.0/16)
  # (the driver takes the first of repeated options, so extra goes first)
  nn_host "$NN" bench "bench-$$" "$1" held="$2" rounds="$3" "${extra[@]}" "${args[@]}" |
    sed -n 's/.*median_ms=\([0-9.]*\) min_ms=\([0-9.]*\) max_ms=\([0-9.]*\) build_median_ms=\([0-9.]*\).*/\1 \2 \3 \4/p'
}

rows=()
for mode in uplink engine; do
  for held in 0 1 10 50 100; do
    read -r med min max bmed <<<"$(bench "$mode" "$held" 21)"
    [ -n "${med:-}" ] || { echo "bench failed ($mode, held=$held)" >&2; exit 1; }
    rows+=("| $mode | $held | $med | $bmed | $min | $max |")
    echo "$mode held=$held median=${med}ms (build ${bmed}ms) min=${min}ms max=${max}ms" >&2
  done
done
umount "$ENG"

section=$(cat <<MD
## netns

Build + teardown of one bottle topology (\`netns_build\` then \`netns_teardown\`, in one
process, no exec), 21 rounds each, while \`held\` other topologies of the same mode exist.
\`uplink\`: own sidecar netns + host uplink veth, masquerade and DOCKER-USER rules (a fake
dockerd \`ip filter\` FORWARD drop is present). \`engine\`: the sidecar side joins an existing
netns. Teardown is timed up to the point where the runtime's teardown child reports
(\`netns_teardown_begin\`): links go with their netns, freed by the kernel, and the deletion of
our ends in netns that stay comes after the report (not timed); back to back in one process, a build's nftables sockets can wait at close
for the previous teardown's cleanup (an RCU grace period). Measured $(date -u +%Y-%m-%d) on $(nproc) CPUs, kernel $(uname -r), by
\`integration/bench/netns.sh\`.

| mode | held | median ms (build+teardown) | median ms (build only) | min ms | max ms |
|---|---:|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")
MD
)
echo "<!-- BEGIN bench:netns -->"
echo "$section"
echo "<!-- END bench:netns -->"

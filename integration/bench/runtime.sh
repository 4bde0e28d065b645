#!/usr/bin/env bash
# Whole-process start-to-exit time of `RUNTIME run` on one busybox bundle for
# bottle (plain mode), runc and crun, and of `docker run --rm` with
# --runtime=bottle vs --runtime=runc. Repetitions are interleaved across the
# runtimes so drift hits them alike; medians and ratios go to stdout as the
# marked markdown sections "runtime" and "docker" (integration/bench/run.sh
# merges them into docs/benchmarks.md).
#
#   BENCH_REPS (30)          runs per runtime, after BENCH_WARMUP (3) unmeasured ones
#   BENCH_DOCKER_REPS (20)   docker runs per runtime
#   BENCH_SKIP_DOCKER=1      runtime section only
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../tests/lib.sh"
. "$HERE/../engines.lib.sh"
. "$HERE/bench.lib.sh"
REPS=${BENCH_REPS:-30}
WARMUP=${BENCH_WARMUP:-3}
DOCKER_REPS=${BENCH_DOCKER_REPS:-20}
need_root
engines_init bench
tmp=$ENGINE_TMP

# crun 1.8 refuses hybrid hosts unless hugetlb has a v1 hierarchy; the bench
# mounts one and leaves it. Unmounting would not give hugetlb back to cgroup v2:
# the kernel keeps the (now unmounted) v1 hierarchy while processes sit in its
# root, and containerd then fails every stats read ("cannot find cgroup mount").
bench_cleanup() {
  local rc=$?
  docker_stop
  (exit "$rc")
  engines_cleanup
}
trap bench_cleanup EXIT
if [ -d /sys/fs/cgroup/unified ] && ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null &&
  grep -q '^hugetlb[[:space:]]' /proc/cgroups; then
  mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb &&
    echo "note: mounted the hugetlb v1 hierarchy at /sys/fs/cgroup/hugetlb (left mounted)" >&2
fi

# The project's shared busybox-static fixture (runc's spec template without an
# ambient capability set), running /bin/true.
. "$HERE/../../tests/bundle.lib.sh"
bundle=$tmp/bench-$$
make_bundle "$bundle" /bin/true

declare -A bin=([bottle]=$BOTTLE [runc]=$(command -v runc) [crun]=$(command -v crun))
names=(bottle runc crun)
declare -A err=()

# CPU time (user + sys, ms) of every child this shell has reaped, into CPU_MS.
# Read without forking: a subshell's own CPU would land in the same counter.
# Unlike wall time it barely moves with the load of a shared machine.
_times_ms() {
  local v=${1%s} min sec
  min=${v%%m*} sec=${v#*m}
  REPLY=$((min * 60000 + ${sec%.*} * 1000 + 10#${sec#*.}))
}
children_cpu_ms() {
  local line
  times >"$tmp/times"
  { read -r line && read -r line; } <"$tmp/times"
  _times_ms "${line%% *}"
  CPU_MS=$REPLY
  _times_ms "${line##* }"
  CPU_MS=$((CPU_MS + REPLY))
}

# One timed run: appends wall microseconds to $tmp/<name>.times and CPU
# milliseconds (runtime and container together) to $tmp/<name>.cpu, or records
# the error. The clock is read without forking so that only the runtime is timed.
time_run() {
  local name=$1 i=$2 measure=$3 t0 t1 rc c0
  children_cpu_ms
  c0=$CPU_MS
  t0=${EPOCHREALTIME/./}
  "${bin[$name]}" --root "$tmp/root-$name" run --bundle "$bundle" "bench-$name-$$-$i" \
    </dev/null >/dev/null 2>"$tmp/$name.err"
  rc=$?
  t1=${EPOCHREALTIME/./}
  children_cpu_ms
  if [ "$rc" -ne 0 ]; then
    err[$name]="exit $rc: $(head -c 200 "$tmp/$name.err" | tr '\n' ' ')"
    "${bin[$name]}" --root "$tmp/root-$name" delete --force "bench-$name-$$-$i" >/dev/null 2>&1
    return
  fi
  [ "$measure" = 1 ] && echo $((t1 - t0)) >>"$tmp/$name.times" && echo $((CPU_MS - c0)) >>"$tmp/$name.cpu"
}
mean() { awk '{ s += $1 } END { if (NR) printf "%.1f", s / NR }' "$1"; }


load0=$(cut -d" " -f1-3 /proc/loadavg)
for i in $(seq 1 $((WARMUP + REPS))); do
  for n in "${names[@]}"; do
    [ -n "${err[$n]:-}" ] && continue
    time_run "$n" "$i" $((i > WARMUP))
  done
done

declare -A med=()
host="load average $load0 at start, $(nproc) cores, kernel $(uname -r), cgroup $(if [ "$ENGINE_CGROUP2" = 1 ]; then echo v2; elif [ -d /sys/fs/cgroup/unified ]; then echo hybrid; else echo v1; fi)$(mountpoint -q /sys/fs/cgroup/hugetlb && [ -d /sys/fs/cgroup/unified ] && echo ' with hugetlb v1 mounted (crun needs it)')"
echo "<!-- BEGIN bench:runtime -->"
echo "## runtime"
echo
echo "\`RUNTIME --root R run --bundle B ID\` on one busybox-static bundle (tests/bundle.lib.sh, \`/bin/true\`),"
echo "timed as a whole process from fork to exit; $REPS measured runs each after $WARMUP warm-up runs,"
echo "interleaved. bottle runs in plain mode. $(date -u +%Y-%m-%d), $host, bottle $(git -C "$BOTTLE_TOP" rev-parse --short HEAD 2>/dev/null)."
echo
echo "| runtime | version | median ms | min–max ms | CPU ms per run (mean, user+sys) |"
echo "|---|---|---|---|---|"
declare -A cpu=()
for n in "${names[@]}"; do
  v=$("${bin[$n]}" --version 2>/dev/null | head -n1 | sed 's/.*version //')
  if [ -n "${err[$n]:-}" ]; then
    echo "| $n | $v | failed | ${err[$n]//|/\\|} | |"
  else
    med[$n]=$(median_ms "$tmp/$n.times")
    cpu[$n]=$(mean "$tmp/$n.cpu")
    echo "| $n | $v | ${med[$n]} | $(minmax_ms "$tmp/$n.times") | ${cpu[$n]} |"
  fi
done
echo
echo "| pair | ratio of wall medians | ratio of CPU means |"
echo "|---|---|---|"
for pair in bottle/crun bottle/runc crun/runc; do
  a=${pair%/*} b=${pair#*/}
  if [ -n "${med[$a]:-}" ] && [ -n "${med[$b]:-}" ]; then
    echo "| $a / $b | $(ratio "${med[$a]}" "${med[$b]}") | $(ratio "${cpu[$a]}" "${cpu[$b]}") |"
  else
    echo "| $a / $b | n/a (a runtime failed) | |"
  fi
done
echo
if [ -n "${med[bottle]:-}" ] && [ -n "${med[crun]:-}" ]; then
  wall=$(awk -v a="${med[bottle]}" -v b="${med[crun]}" 'BEGIN { print (a <= b) ? "met" : "not met" }')
  cpuv=$(awk -v a="${cpu[bottle]}" -v b="${cpu[crun]}" 'BEGIN { print (a <= b) ? "met" : "not met" }')
  echo "Target (issue 2): bottle at or below crun — wall-clock median: **$wall**; CPU per run: **$cpuv**."
  echo "On a shared, loaded machine the wall-clock ratio swings from run to run; the CPU ratio is the steadier one."
else
  echo "Target (issue 2): bottle at or below crun — **not measured** (bottle failed)."
fi
echo "<!-- END bench:runtime -->"

[ "${BENCH_SKIP_DOCKER:-0}" = 1 ] && exit 0

# ---- docker run --rm --runtime=bottle vs --runtime=runc ---------------------
docker_start
docker_busybox_image
declare -A dmed=() derr=()
dload0=$(cut -d" " -f1-3 /proc/loadavg)
druntimes=(bottle runc-ref)
for i in $(seq 1 $((WARMUP + DOCKER_REPS))); do
  for n in "${druntimes[@]}"; do
    docker_time "$n" $((i > WARMUP)) --runtime="$n"
  done
done
echo "<!-- BEGIN bench:docker -->"
echo "## docker"
echo
echo "\`docker run --rm --runtime=R busybox true\` against a private dockerd $(dk version -f '{{.Server.Version}}' 2>/dev/null)"
echo "(cgroupfs driver, overlay2, no network bridge, load average $dload0 at start), client wall time; $DOCKER_REPS measured runs each after $WARMUP"
echo "warm-up runs, interleaved. \`runc\` is the stock /usr/sbin/runc; bottle runs in plain mode."
echo
echo "| runtime | median ms | min–max ms |"
echo "|---|---|---|"
for n in "${druntimes[@]}"; do
  label=${n%-ref}
  if [ -n "${derr[$n]:-}" ]; then
    echo "| $label | failed | ${derr[$n]//|/\\|} |"
  else
    dmed[$n]=$(median_ms "$tmp/d-$n.times")
    echo "| $label | ${dmed[$n]} | $(minmax_ms "$tmp/d-$n.times") |"
  fi
done
echo
if [ -n "${dmed[bottle]:-}" ] && [ -n "${dmed[runc-ref]:-}" ]; then
  echo "Ratio bottle / runc: **$(ratio "${dmed[bottle]}" "${dmed[runc-ref]}")**."
else
  echo "Ratio bottle / runc: n/a (a runtime failed)."
fi
echo "<!-- END bench:docker -->"

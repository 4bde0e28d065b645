#!/usr/bin/env bash
# A bottled Kubernetes pod's start (issue 11, Done when 4), on a node as integration/cri.lib.sh
# makes it (containerd 1.6's CRI, a CNI bridge, runtime handlers runc and bottle):
#   - one pod at a time: RunPodSandbox, then a server and a client container created and started
#     (what a kubelet calls before the pod's containers all run), under the runtime handler
#     "bottle" in bottled mode against the same pod under "runc", interleaved; target 1.1x;
#   - 50 bottled pods started at once (each pod's calls in order, the pods concurrently, as a
#     kubelet's pod workers do), per-pod start time p50 and p95; target p95 within 2x of p50.
# Times are the CRI calls' own wall time, measured inside tests/helpers/cri-client (`podup`), so
# node's start-up is not in them. Prints the marked section "cri-pods" (run.sh merges it into
# docs/benchmarks.md).
#
#   BENCH_REPS (10)        measured pods per handler, after BENCH_WARMUP (2)
#   BENCH_PODS_AT_ONCE (50)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../tests/lib.sh"
need_root
for t in ip nsenter nft busybox python3 node iptables; do command -v "$t" >/dev/null || skip "needs $t"; done
in_private_host_netns bchost "$@"
# A private copy of the binary: a rebuild by someone else mid-run must not fail a series.
bench_bin=$(mktemp -d /tmp/bt-bench-cri-bin.XXXXXX)
cp "$BOTTLE" "$bench_bin/bottle" || exit 1
# shellcheck disable=SC2034 # ENGINE_RUNTIME_PATH: read by engines.lib.sh
BOTTLE=$bench_bin/bottle ENGINE_RUNTIME_PATH=$bench_bin/bottle
. "$HERE/../engine_bottled.lib.sh"
. "$HERE/../cri.lib.sh"
. "$HERE/bench.lib.sh"
REPS=${BENCH_REPS:-10}
WARMUP=${BENCH_WARMUP:-2}
AT_ONCE=${BENCH_PODS_AT_ONCE:-50}

engine_bottled_init bench-cri
# The bench's own files go with the node: containerd's cleanup runs first (the EXIT trap).
engine_bottled_pre_cleanup() { cri_cleanup; rm -rf "$bench_bin"; }
cri_start >&2
T=$ENGINE_TMP/cri
cri_pod_json "$T/pod.json" bench
cri_ctr_json "$T/server.json" server sh -c 'trap "exit 0" TERM; httpd -f -p 8080 -h /tmp & wait'
cri_ctr_json "$T/client.json" client sh -c 'trap "exit 0" TERM; sleep 2147483647 & wait'

# pod_start HANDLER MEASURE: one pod up (timed by the client), then down (not timed)
declare -A err=()
pod_start() {
  local h=$1 out ids
  [ -n "${err[$h]:-}" ] && return 0
  out=$(cri podup --count 1 "$T/pod.json" "$h" "$T/server.json" "$T/client.json" 2>&1)
  ids=$(python3 -c 'import json, sys
r = json.loads(sys.argv[1])[0]
print(r["pod"])
if r.get("error"): print("ERROR " + r["error"][:200], file=sys.stderr)
else: print("%d" % (r["ms"] * 1000), file=sys.stderr)' "$out" 2>"$T/one.txt")
  if grep -q '^ERROR' "$T/one.txt"; then
    err[$h]=$(sed 's/^ERROR //' "$T/one.txt")
  elif [ "$2" = 1 ]; then
    cat "$T/one.txt" >>"$T/$h.times"
  fi
  [ -n "$ids" ] && cri down --grace 1 "$ids" >/dev/null
  for _ in $(seq 20); do # the pod's cgroup, the kubelet's part; removal waits for the last task
    find /sys/fs/cgroup/*"$ENGINE_CGROUP_PARENT" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
    [ -z "$(find /sys/fs/cgroup/*"$ENGINE_CGROUP_PARENT" -mindepth 1 -type d 2>/dev/null)" ] && break
    sleep 0.1
  done
}

load0=$(cut -d" " -f1-3 /proc/loadavg)
for i in $(seq 1 $((WARMUP + REPS))); do
  m=$((i > WARMUP))
  pod_start runc "$m"
  pod_start bottle "$m"
done

# 50 at once.
load1=$(cut -d" " -f1-3 /proc/loadavg)
t0=${EPOCHREALTIME/./}
cri --timeout 300 podup --count "$AT_ONCE" "$T/pod.json" bottle "$T/server.json" "$T/client.json" >"$T/many.json" 2>&1
t1=${EPOCHREALTIME/./}
many=$(python3 - "$T/many.json" <<'PY'
import json, sys
try:
    rs = json.load(open(sys.argv[1]))
except ValueError:
    print("failed " + open(sys.argv[1]).read()[:200].replace("\n", " "))
    sys.exit()
bad = [r for r in rs if r.get("error")]
if bad:
    print("failed %d of %d pods failed; the first: %s" % (len(bad), len(rs), bad[0]["error"][:200]))
    sys.exit()
ms = sorted(r["ms"] for r in rs)
def pct(p):  # nearest rank
    return ms[max(0, -(-len(ms) * p // 100) - 1)]
print("ok %.1f %.1f %.1f %.1f" % (pct(50), pct(95), ms[0], ms[-1]))
PY
)
cri down --grace 1 >/dev/null 2>&1

declare -A med=()
label() { case $1 in runc) echo "runtime handler \`runc\` ($(runc --version | head -n1 | sed 's/.*version //'))" ;;
  bottle) echo "runtime handler \`bottle\`, bottled" ;; esac; }
echo "<!-- BEGIN bench:cri-pods -->"
echo "## cri-pods"
echo
echo "A pod's start on a Kubernetes node as \`integration/cri.lib.sh\` makes it: containerd $(containerd --version | awk '{ print $3 }')'s CRI with a"
echo "CNI bridge (bridge, host-local, loopback), in a private netns playing the node. One pod is"
echo "RunPodSandbox, then a server and a client container (busybox) each created and started, in"
echo "order, as a kubelet does; the time is the wall time of those CRI calls, measured inside the client"
echo "(\`tests/helpers/cri-client podup\`). Bottled pods use the pipelock test double as sidecar."
echo "$(date -u +%Y-%m-%d), load average $load0 at start, $(nproc) cores, kernel $(uname -r),"
echo "bottle $(git -C "$BOTTLE_TOP" rev-parse --short HEAD 2>/dev/null); $REPS measured pods per handler after $WARMUP"
echo "warm-up pods, interleaved (\`integration/bench/cri_pods.sh\`)."
echo
echo "| pod start | median ms | min–max ms |"
echo "|---|---|---|"
for h in runc bottle; do
  if [ -n "${err[$h]:-}" ]; then
    echo "| $(label "$h") | failed | ${err[$h]//|/\\|} |"
  else
    med[$h]=$(median_ms "$T/$h.times")
    echo "| $(label "$h") | ${med[$h]} | $(minmax_ms "$T/$h.times") |"
  fi
done
echo
if [ -n "${med[runc]:-}" ] && [ -n "${med[bottle]:-}" ]; then
  r=$(ratio "${med[bottle]}" "${med[runc]}")
  echo "Ratio bottled / runc: **$r**. Target (issue 11): within 1.1x — **$(awk -v r="$r" 'BEGIN { print (r <= 1.1) ? "met" : "not met" }')**."
else
  echo "Ratio bottled / runc: n/a (a handler failed)."
fi
echo
echo "$AT_ONCE bottled pods started at once (one client, every pod's calls in order, the pods"
echo "concurrently), load average $load1 at start, $(((t1 - t0) / 1000)) ms until the last one ran:"
echo
case $many in
  ok\ *)
    read -r _ p50 p95 lo hi <<<"$many"
    echo "| per-pod start | ms |"
    echo "|---|---|"
    echo "| p50 | $p50 |"
    echo "| p95 | $p95 |"
    echo "| min–max | $lo–$hi |"
    echo
    r=$(ratio "$p95" "$p50")
    echo "p95 / p50: **$r**. Target (issue 11): p95 within 2x of p50 — **$(awk -v r="$r" 'BEGIN { print (r <= 2) ? "met" : "not met" }')**."
    ;;
  *) echo "Not measured: ${many#failed }" ;;
esac
echo "<!-- END bench:cri-pods -->"

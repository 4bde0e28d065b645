# Helpers of the integration/bench/*.sh scripts (run.sh skips *.lib.sh).
#   median_ms FILE / minmax_ms FILE   of a file of microsecond values, in ms ("12.34", "1.00–2.00")
#   ratio A B                         A / B to two decimals
#   docker_time NAME MEASURE ARGS...  one `dk run --rm ARGS busybox true`, its client wall time in
#                                     µs appended to $tmp/d-NAME.times when MEASURE is 1; a failure
#                                     goes to derr[NAME] (declare -A derr first) and later calls
#                                     for NAME do nothing

median_ms() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1;
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'
}
minmax_ms() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo / 1000, hi / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

docker_time() {
  local name=$1 measure=$2 t0 t1 rc
  shift 2
  [ -n "${derr[$name]:-}" ] && return 0
  t0=${EPOCHREALTIME/./}
  dk run --rm "$@" "$ENGINE_IMAGE" true </dev/null >/dev/null 2>"$tmp/d-$name.err"
  rc=$?
  t1=${EPOCHREALTIME/./}
  if [ "$rc" -ne 0 ]; then
    derr[$name]="exit $rc: $(head -c 200 "$tmp/d-$name.err" | tr '\n' ' ')"
    return 0
  fi
  [ "$measure" = 1 ] && echo $((t1 - t0)) >>"$tmp/d-$name.times"
  return 0
}

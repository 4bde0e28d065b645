# Shared helpers for shell tests. Source it; call check/ok/fail; end with finish.
#   check "what" cmd args...   passes when cmd exits 0
#   check_fails "what" cmd...  passes when cmd exits non-zero
#   skip "why"                 exits 77 with the reason as the last line
set -u
BOTTLE_TOP=${BOTTLE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$BOTTLE_TOP/$BUILD ;; esac
BOTTLE=${BOTTLE:-$BUILD/bottle}
# bottle bottles every container by default; tests of the runtime core (what runc does) run
# plain unless they choose another runtime config. Bottled tests set BOTTLE_CONFIG themselves.
export BOTTLE_CONFIG=${BOTTLE_CONFIG:-$BOTTLE_TOP/tests/fixtures/bottle-plain.json}
_checks=0 _failures=0

ok() { _checks=$((_checks + 1)); echo "ok - $*"; }
fail() { _checks=$((_checks + 1)); _failures=$((_failures + 1)); echo "not ok - $*"; }
check() {
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what (exit $?: $*)"; fi
}
check_fails() {
  local what=$1; shift
  if "$@"; then fail "$what (unexpectedly succeeded: $*)"; else ok "$what"; fi
}
# check_eq "what" expected actual
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}
check_contains() {
  case $3 in *"$2"*) ok "$1" ;; *) fail "$1 (expected to contain '$2', got '$3')" ;; esac
}
# in_private_host_netns PREFIX "$@" (call it at the top of a script): re-runs the script in a
# new netns PREFIX-<pid> that plays the host, deleted when the script ends, so that the links,
# routes, nftables rules and sysctls it makes never touch the real host; in that copy it
# returns at once.
in_private_host_netns() {
  local prefix=$1
  shift
  [ -n "${BOTTLE_TEST_HOST_NS:-}" ] && return 0
  export BOTTLE_TEST_HOST_NS=$prefix-$$
  ip netns add "$BOTTLE_TEST_HOST_NS" || exit 1
  # A new netns copies the real host's IPv4 settings: start from a fresh host's.
  ip netns exec "$BOTTLE_TEST_HOST_NS" sysctl -qw net.ipv4.ip_forward=0
  trap 'ip netns del "$BOTTLE_TEST_HOST_NS" 2>/dev/null' EXIT
  nsenter --net="/run/netns/$BOTTLE_TEST_HOST_NS" "$BASH" "$0" "$@"
  exit
}
# settle FN EXPECTED: FN's output once it equals EXPECTED, or its last one after 5 s. A torn
# down bottle's links go when the kernel frees their netns, which it does asynchronously within
# milliseconds of the teardown; whatever is still there after 5 s is a real leftover.
settle() {
  local fn=$1 want=$2 now end=$((SECONDS + 5))
  while :; do
    now=$("$fn")
    [ "$now" = "$want" ] || [ "$SECONDS" -ge "$end" ] && break
    sleep 0.05
  done
  printf '%s\n' "$now"
}
skip() { echo "skipped: $*"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }
finish() {
  echo "$((_checks - _failures))/$_checks checks passed"
  [ "$_failures" -eq 0 ]
}

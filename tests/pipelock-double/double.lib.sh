# Helpers for the pipelock double's own tests (sourced; not a test itself).
# Everything listens on 127.0.0.1 with kernel-chosen or random high ports.
# shellcheck shell=bash disable=SC2034
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
DOUBLE=${DOUBLE:-$BUILD/pipelock-double}
[ -x "$DOUBLE" ] || skip "no $DOUBLE (run make)"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy

WORK=$(mktemp -d "/tmp/pipelock-double-test.$$.XXXXXX")
_pids=()
_cleanup() {
  local p
  for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap _cleanup EXIT

# wait_for CMD...: retries a readiness probe for up to 5 s (not an assertion).
wait_for() {
  local _
  for _ in $(seq 100); do "$@" && return 0; sleep 0.05; done
  return 1
}

# start_httpd DIR: busybox httpd on a free 127.0.0.1 port; sets HTTPD_PORT.
start_httpd() {
  local port pid
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    busybox httpd -f -p "127.0.0.1:$port" -h "$1" &
    pid=$!
    if wait_for curl -s --noproxy '*' -o /dev/null "http://127.0.0.1:$port/"; then
      _pids+=("$pid")
      HTTPD_PORT=$port
      return 0
    fi
    kill "$pid" 2>/dev/null
  done
  echo "cannot start busybox httpd" >&2
  return 1
}

# start_fake_dns LOG NAME=IP...: counting DNS on 127.0.0.1; sets DNS_PORT.
start_fake_dns() {
  local log=$1 out=$WORK/fakedns.$RANDOM.out
  shift
  "$DOUBLE" fake-dns --listen 127.0.0.1:0 --log "$log" "$@" >"$out" &
  _pids+=("$!")
  wait_for grep -qs '^listening ' "$out" || return 1
  DNS_PORT=$(sed -n 's/^listening 127.0.0.1://p' "$out")
  : >"$log"
}

# start_double CONFIG LOG: runs the double on 127.0.0.1:0 resolving through the
# fake DNS only (no host files, no host resolver); sets PROXY_PORT, DOUBLE_PID.
start_double() {
  local config=$1 log=$2
  PIPELOCK_DOUBLE_NAMESERVER=127.0.0.1:${DNS_PORT:-9} PIPELOCK_DOUBLE_HOSTS=/dev/null \
    "$DOUBLE" run --listen 127.0.0.1:0 --config "$config" >"$log" 2>"$log.err" &
  DOUBLE_PID=$!
  _pids+=("$DOUBLE_PID")
  wait_for grep -qs '"event":"startup"' "$log" || { cat "$log.err" >&2; return 1; }
  PROXY_PORT=$(grep -o '"listen":"127.0.0.1:[0-9]*' "$log" | head -n 1 | sed 's/.*://')
}

# raw_request PORT TEXT: sends TEXT (printf-interpreted) to 127.0.0.1:PORT and
# prints the whole answer (the double closes after it).
raw_request() {
  local port=$1 text=$2
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    # shellcheck disable=SC2059
    printf "$text" >&3
    timeout 10 cat <&3
  )
}

# status_line TEXT: first line without CR.
first_line() { head -n 1 | tr -d '\r'; }
# body TEXT: what follows the last blank line of the proxy's own answer.
last_line() { tail -n 1 | tr -d '\r'; }

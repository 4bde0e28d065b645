#!/usr/bin/env bash
# The double's command line matches what bottle passes to pipelock (pipelock.md
# §3.1): `run --listen ADDR --config FILE`, `check --config FILE`, `healthcheck`;
# anything else is a usage error with a non-zero exit.
. "$(dirname "$0")/double.lib.sh"

printf 'mode: balanced\n' >"$WORK/ok.yaml"
ln -s "$DOUBLE" "$WORK/pipelock"

# fails_with WHAT EXPECTED CMD...: non-zero exit and EXPECTED on stderr+stdout
fails_with() {
  local what=$1 want=$2 out rc
  shift 2
  out=$("$@" 2>&1 </dev/null)
  rc=$?
  if [ $rc -eq 0 ]; then fail "$what (exit 0)"; return; fi
  check_contains "$what" "$want" "$out"
}

fails_with "no arguments" "Usage:" "$DOUBLE"
fails_with "root command with only --config" 'unknown flag: --config' "$DOUBLE" --config "$WORK/ok.yaml"
fails_with "unknown command" 'unknown command "serve"' "$DOUBLE" serve
fails_with "run: missing --config" "--config is required" "$DOUBLE" run --listen 127.0.0.1:0
fails_with "run: extra positional argument" 'unexpected argument "extra"' \
  "$DOUBLE" run --listen 127.0.0.1:0 --config "$WORK/ok.yaml" extra
fails_with "run: unknown flag" 'unknown flag: --bogus' \
  "$DOUBLE" run --bogus --config "$WORK/ok.yaml"
fails_with "run: flag without value" 'flag needs an argument: --config' "$DOUBLE" run --config
fails_with "run: bad listen address" 'invalid --listen address' \
  "$DOUBLE" run --listen nowhere --config "$WORK/ok.yaml"
fails_with "run: bad --mode" 'invalid --mode' \
  "$DOUBLE" run --listen 127.0.0.1:0 --config "$WORK/ok.yaml" --mode permissive
fails_with "run: --mode strict still needs an allowlist" 'strict mode requires' \
  "$DOUBLE" run --listen 127.0.0.1:0 --config "$WORK/ok.yaml" --mode strict
fails_with "run: missing config file" "loading config: reading config file: open $WORK/none.yaml" \
  "$DOUBLE" run --listen 127.0.0.1:0 --config "$WORK/none.yaml"
fails_with "check: extra argument" 'unexpected argument' "$DOUBLE" check --config "$WORK/ok.yaml" x
check_eq "check: --config=FILE form" "Config validation: OK" "$("$DOUBLE" check --config="$WORK/ok.yaml")"
check_eq "check: -c FILE form" "Config validation: OK" "$("$DOUBLE" check -c "$WORK/ok.yaml")"
check_eq "argv[0] /pipelock-style name works" "Config validation: OK" \
  "$("$WORK/pipelock" check --config "$WORK/ok.yaml")"

# run with -l/-c short flags, through the symlinked name, then healthcheck it.
"$WORK/pipelock" run -l 127.0.0.1:0 -c "$WORK/ok.yaml" >"$WORK/run.log" 2>&1 &
pid=$!
_pids+=("$pid")
wait_for grep -q '"event":"startup"' "$WORK/run.log"
port=$(grep -o '"listen":"127.0.0.1:[0-9]*' "$WORK/run.log" | sed 's/.*://')
check "healthcheck --addr answers 0" "$DOUBLE" healthcheck --addr "127.0.0.1:$port"
check "healthcheck --addr=ADDR form" "$DOUBLE" healthcheck --addr="127.0.0.1:$port"
kill "$pid"
wait "$pid" 2>/dev/null
fails_with "healthcheck on a closed port fails" "health check failed" \
  "$DOUBLE" healthcheck --addr "127.0.0.1:$port"

finish

#!/usr/bin/env bash
# Issue 13: bottle-run is typed by people: its errors are one plain line on stderr,
# "bottle-run: <cause and fix>", never runc's log format (time="..." level=error msg=...),
# whether the bundle, the config or the policy is wrong and with or without --dry-run. The
# runtime verbs keep runc's format, text or json, which engines parse.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
BOTTLE_RUN=${BOTTLE_RUN:-$(dirname "$BOTTLE")/bottle-run}
[ -x "$BOTTLE_RUN" ] || skip "bottle-run not built ($BOTTLE_RUN)"

T=$(mktemp -d /tmp/bottle-ops-err.XXXXXX)
trap 'rm -rf "$T"' EXIT
make_bundle "$T/b" true
printf '{"mode": "bottled", "sidecar": {"bundle": 5}}\n' >"$T/bad-type.json"
printf '{"mode": "bottled"}\n' >"$T/ok.json"
printf '{"mode": "bottled", "egress": {"default_allowlist": ["exa mple.test"]}}\n' >"$T/bad-host.json"

# plain_line WHAT WANT CMD...: CMD fails with exactly one stderr line, "bottle-run: ..." holding
# WANT, nothing of runc's log format and nothing on stdout but what dry-run prints.
plain_line() {
  local what=$1 want=$2 err rc
  shift 2
  "$@" >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  err=$(cat "$T/err")
  echo "$what: rc=$rc stderr: $err"
  check_fails "$what: fails" test "$rc" = 0
  check_eq "$what: one line on stderr" 1 "$(wc -l <"$T/err")"
  check_contains "$what: starts with bottle-run:" "bottle-run: " "${err:0:12}"
  check_contains "$what: says why" "$want" "$err"
  check_fails "$what: not runc's log format" grep -qE 'level=|^time=|"level"' "$T/err"
  check_fails "$what: no second prefix" grep -qE 'bottle-run: bottle|failed: ' "$T/err"
}
plain_line "no bundle" "config.json" "$BOTTLE_RUN" -y "$T/nonexistent"
plain_line "no bundle, dry run" "config.json" "$BOTTLE_RUN" --dry-run "$T/nonexistent"
plain_line "missing --config" "$T/none.json" "$BOTTLE_RUN" --config "$T/none.json" -y "$T/b"
plain_line "config field of the wrong type" "sidecar.bundle" \
  "$BOTTLE_RUN" --config "$T/bad-type.json" -y "$T/b"
plain_line "config field of the wrong type, dry run" "sidecar.bundle" \
  "$BOTTLE_RUN" --config "$T/bad-type.json" --dry-run "$T/b"
plain_line "a bad host" "default_allowlist" "$BOTTLE_RUN" --config "$T/bad-host.json" -y "$T/b"
plain_line "unknown profile" "nosuch" "$BOTTLE_RUN" --config "$T/ok.json" --profile nosuch -y "$T/b"

# The runtime verbs: runc's log lines, as engines parse them.
err=$("$BOTTLE" --root "$T/root" state nosuch 2>&1)
check_contains "runtime verb: text log line" 'level=error msg="container does not exist"' "$err"
check_contains "runtime verb: text log line has time" 'time="' "$err"
"$BOTTLE" --root "$T/root" --log "$T/log.json" --log-format json state nosuch 2>/dev/null
check_contains "runtime verb: json log line" '"level":"error","msg":"container does not exist"' \
  "$(cat "$T/log.json")"
check_fails "no bottle-run prefix on a runtime verb" grep -q "bottle-run" <<<"$err"
finish

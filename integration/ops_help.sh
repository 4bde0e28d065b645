#!/usr/bin/env bash
# Issue 13, Done when 4: every verb with --help or -h prints its usage on stdout, exits 0 and
# changes nothing: the state dir (a created container and a bottle's leftover that gc would
# remove), the netns list, the links, the cwd (spec writes config.json there) and --log's file
# are the same before and after. `bottle --help` lists every verb, logs and gc included, and
# bottle-run --help prints its own usage.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
BOTTLE_RUN=${BOTTLE_RUN:-$(dirname "$BOTTLE")/bottle-run}

T=$(mktemp -d /tmp/bottle-ops-help.XXXXXX)
printf '{"mode": "plain"}\n' >"$T/bottle-config.json"
export BOTTLE_CONFIG=$T/bottle-config.json
ROOT=$T/root ID=help$$
cleanup() {
  "$BOTTLE" --root "$ROOT" delete -f "$ID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
B() { "$BOTTLE" --root "$ROOT" "$@"; }

make_bundle "$T/b" sleep 100
check "a plain container to leave alone" B create --bundle "$T/b" "$ID"
# What a crashed bottled create leaves: `gc` removes it, `gc --help` must not.
mkdir -p "$ROOT/.bottle/crashed-$$"
mkdir "$T/cwd"

snapshot() {
  (cd "$ROOT" && find . -printf '%p %m %s\n' | sort)
  ls -A "$T/cwd"
  ip netns list
  ip -o link | sed 's/^[0-9]*: //'
  B state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
}
before=$(snapshot)

verbs=(create start run state kill delete list ps exec features spec events pause resume update
  checkpoint restore logs gc)
top=$(B --help)
for v in "${verbs[@]}"; do
  check_contains "bottle --help lists $v" "
  $v " "$top"
  for h in --help -h; do
    # The id first, as engines pass it, and --help after it: a verb must not act on the id.
    out=$(cd "$T/cwd" && "$BOTTLE" --root "$ROOT" --log "$T/cwd/log.json" "$v" "$h" 2>"$T/err")
    check_eq "$v $h exits 0" 0 "$?"
    check_contains "$v $h: usage on stdout" "usage: bottle [global options] $v " "$out"
    check_eq "$v $h: nothing on stderr" "" "$(cat "$T/err")"
  done
  # exec's and ps's words after the id belong to the command and to ps(1) (checked below)
  case $v in exec | ps) continue ;; esac
  out=$(cd "$T/cwd" && "$BOTTLE" --root "$ROOT" "$v" "$ID" --help 2>"$T/err")
  check_eq "$v ID --help exits 0" 0 "$?"
  check_contains "$v ID --help: usage" "usage: bottle [global options] $v " "$out"
done
out=$(B delete --force "$ID" -h 2>&1)
check_contains "delete --force ID -h: usage, no delete" "usage: bottle [global options] delete" "$out"
# What follows exec's id is the command's: its -h is not exec's.
out=$(B exec "$ID" sh -h 2>&1)
check_fails "exec ID sh -h is not help" grep -q "usage: bottle" <<<"$out"
out=$(B ps "$ID" -h 2>&1)
check_fails "ps ID -h is ps(1)'s -h, not help" grep -q "usage: bottle" <<<"$out"

out=$("$BOTTLE_RUN" --help 2>"$T/err")
check_eq "bottle-run --help exits 0" 0 "$?"
check_contains "bottle-run --help: usage on stdout" "usage: bottle-run [options] BUNDLE" "$out"
check_eq "bottle-run --help: nothing on stderr" "" "$(cat "$T/err")"

check_eq "state dir, cwd, netns, links and the container unchanged" "$before" "$(snapshot)"
check "control: gc does remove the leftover" B gc
check_fails "control: the leftover is gone" test -e "$ROOT/.bottle/crashed-$$"
finish

#!/usr/bin/env bash
# The plain (non-ASan) builds of the pure unit tests and a few runtime verbs under valgrind:
# no invalid access, no uninitialised use, no leak.
source "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || skip "valgrind not installed"
vg() { valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$@"; }
for t in test_config_hostname test_config_load test_config_policy test_config_yaml test_runtime_core; do
  bin=$BUILD/tests/$t
  [ -x "$bin" ] || { fail "$t not built ($bin)"; continue; }
  check "valgrind $t" vg "$bin" >/dev/null
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
check "valgrind bottle spec" vg "$BOTTLE" spec --bundle "$work"
check "valgrind bottle list" vg "$BOTTLE" --root "$work/root" list
printf '{"bottles": {"dev": {"egress": {"allowlist": ["api.openai.com"]}}}}' >"$work/bottle.json"
check "valgrind bottle-run --dry-run (bottled plan)" vg "$BUILD/bottle-run" --dry-run --profile dev \
  --allow example.test --config "$work/bottle.json" "$work"
finish

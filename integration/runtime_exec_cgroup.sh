#!/usr/bin/env bash
# issue 12 item 7: exec --cgroup (runc 1.1+): the exec'd process joins a sub-cgroup of the
# container's, "[ctrl[,ctrl]:]path"; a sub-cgroup missing in a hierarchy it applies to fails
# the exec. Compared with runc on one running container each.
# A path with ".." (outside the container's cgroup) is refused by both.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"
# crun 1.8.1 here runs the exec in the root of every hierarchy whatever --cgroup says: not a
# reference for this flag.
RUNTIMES="runc bottle"

cleanup_extra() {
  local rt cg
  for rt in $RUNTIMES; do
    cg=$(bundle_cgroup "$T/x-$rt" 2>/dev/null) || continue
    "$(bin_of $rt)" --root "$T/root-$rt" delete -f "x-$$" >/dev/null 2>&1
    rmdir /sys/fs/cgroup/memory"$cg"/sub /sys/fs/cgroup/pids"$cg"/sub 2>/dev/null
  done
}

for rt in $RUNTIMES; do
  bin=$(bin_of $rt)
  make_bundle "$T/x-$rt" sleep 1000
  (cd "$T/x-$rt" && "$bin" --root "$T/root-$rt" run -d "x-$$" </dev/null >/dev/null 2>"$T/x.$rt.err") ||
    fail "$rt: run -d: $(tail -c 300 "$T/x.$rt.err")"
  cg=$(bundle_cgroup "$T/x-$rt")
  mkdir -p /sys/fs/cgroup/memory"$cg"/sub /sys/fs/cgroup/pids"$cg"/sub
  # memory and pids named: those two join sub, the others stay in the container's cgroup.
  out=$("$bin" --root "$T/root-$rt" exec --cgroup memory,pids:sub "x-$$" cat /proc/self/cgroup 2>&1)
  check_contains "$rt: memory:sub joins the sub-cgroup" "memory:$cg/sub" "$out"
  check_contains "$rt: pids:sub joins the sub-cgroup" "pids:$cg/sub" "$out"
  check_contains "$rt: cpu stays in the container's cgroup" "cpu:$cg
" "$out
"
  # Two flags: one per controller.
  out=$("$bin" --root "$T/root-$rt" exec --cgroup memory:sub --cgroup pids:/sub "x-$$" cat /proc/self/cgroup 2>&1)
  check_contains "$rt: two --cgroup flags, memory" "memory:$cg/sub" "$out"
  check_contains "$rt: two --cgroup flags, pids" "pids:$cg/sub" "$out"
  # The path alone applies to every controller: cpu has no sub, so the exec fails.
  check_fails "$rt: --cgroup sub fails where a controller has no such sub-cgroup" \
    "$bin" --root "$T/root-$rt" exec --cgroup sub "x-$$" true
  mkdir -p /sys/fs/cgroup/memory/bottle-test/escape-$$
  check_fails "$rt: --cgroup memory:../escape is refused" \
    "$bin" --root "$T/root-$rt" exec --cgroup "memory:../escape-$$" "x-$$" true
  rmdir /sys/fs/cgroup/memory/bottle-test/escape-$$
  check_eq "$rt: the container still runs" running \
    "$("$bin" --root "$T/root-$rt" state "x-$$" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
done
B=("$BOTTLE" --root "$T/root-bottle")
"${B[@]}" exec --cgroup sub "x-$$" true 2>"$T/missing.err"
check_contains "bottle: the missing sub-cgroup is named" "sub-cgroup" "$(cat "$T/missing.err")"
check_fails "bottle refuses --cgroup ../x" "${B[@]}" exec --cgroup memory:../x "x-$$" true
"${B[@]}" exec --cgroup memory:../x "x-$$" true 2>"$T/dotdot.err"
check_contains "bottle: the refusal says why" 'without \"..\"' "$(cat "$T/dotdot.err")"

finish

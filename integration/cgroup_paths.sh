#!/usr/bin/env bash
# cgroupsPath forms and cgroup errors through the bottle binary:
#   absolute  -> below each hierarchy's mount point (checked in cgroup_lifecycle.sh)
#   relative  -> below the runtime's own cgroup in each hierarchy, like runc
#   empty     -> /bottle/<id> (runc would use <own cgroup>/<id>; see runtime/cgroup/cgroup.c)
#   systemd   -> --systemd-cgroup fails at once with a hint to use cgroupfs
# plus wrongly typed resources on create and update, named in the error.
source "$(dirname "$0")/../tests/lib.sh"
source "$BOTTLE_TOP/tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "no $BOTTLE (run make)"
[ -e /sys/fs/cgroup/memory/cgroup.procs ] || skip "needs a v1 or hybrid cgroup host (no memory v1 hierarchy)"

T=$(mktemp -d /tmp/cgroup-paths.XXXXXX)
ROOT=$T/root
REL=bottle-test-rel-$$
cleanup() {
  local id
  for id in rel-$$ empty-$$ sysd-$$ typed-$$ upd-$$ runc-rel-$$; do
    timeout 10 "$BOTTLE" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
  done
  command -v runc >/dev/null && timeout 10 runc --root "$T/runc" delete --force "runc-rel-$$" >/dev/null 2>&1
  local d
  find /sys/fs/cgroup -maxdepth 6 -type d -name "$REL" 2>/dev/null | while read -r d; do
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT

B=(timeout 20 "$BOTTLE" --root "$ROOT")
status_of() { "${B[@]}" state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null; }
pid_of() { "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }

# relative: joined to our own cgroup (this VM's memory cgroup is nested, the others are /)
make_bundle "$T/rel" sleep 1000 >/dev/null
bundle_edit "$T/rel" "c['linux']['cgroupsPath'] = '$REL/c'"
check "relative cgroupsPath: create" "${B[@]}" create --bundle "$T/rel" "rel-$$" </dev/null
pid=$(pid_of "${B[@]}" state "rel-$$")
own_mem=$(sed -n 's|^[0-9]*:memory:||p' /proc/self/cgroup)
own_mem=${own_mem%/}
check_eq "relative path lands below our own memory cgroup" "$own_mem/$REL/c" \
  "$(sed -n 's|^[0-9]*:memory:||p' "/proc/$pid/cgroup")"
if command -v runc >/dev/null; then
  make_bundle "$T/runc-rel" sleep 1000 >/dev/null
  bundle_edit "$T/runc-rel" "c['linux']['cgroupsPath'] = '$REL/r'"
  timeout 20 runc --root "$T/runc" create --bundle "$T/runc-rel" "runc-rel-$$" </dev/null >/dev/null 2>&1
  rpid=$(pid_of timeout 20 runc --root "$T/runc" state "runc-rel-$$")
  check_eq "runc puts the same relative path in the same places" \
    "$(sed 's|/r$|/X|' "/proc/$rpid/cgroup" | sort)" "$(sed 's|/c$|/X|' "/proc/$pid/cgroup" | sort)"
  timeout 10 runc --root "$T/runc" delete --force "runc-rel-$$" >/dev/null 2>&1
fi
check "relative: delete --force" "${B[@]}" delete --force "rel-$$"
check_fails "relative: leaf removed" test -d "/sys/fs/cgroup/memory$own_mem/$REL/c"

# empty: /bottle/<id>
make_bundle "$T/empty" sleep 1000 >/dev/null
bundle_edit "$T/empty" "del c['linux']['cgroupsPath']"
check "empty cgroupsPath: create" "${B[@]}" create --bundle "$T/empty" "empty-$$" </dev/null
pid=$(pid_of "${B[@]}" state "empty-$$")
check_eq "empty cgroupsPath -> /bottle/<id>" "/bottle/empty-$$" \
  "$(sed -n 's|^[0-9]*:pids:||p' "/proc/$pid/cgroup")"
check "empty: delete --force" "${B[@]}" delete --force "empty-$$"
check_fails "empty: /bottle/<id> removed" test -d "/sys/fs/cgroup/pids/bottle/empty-$$"

# systemd driver: a clear error, quickly, and nothing left behind
make_bundle "$T/sysd" sleep 1000 >/dev/null
bundle_edit "$T/sysd" "c['linux']['cgroupsPath'] = 'system.slice:bottle:sysd-$$'"
err=$("${B[@]}" --systemd-cgroup create --bundle "$T/sysd" "sysd-$$" </dev/null 2>&1 >/dev/null)
rc=$?
check "systemd driver: create fails (rc=$rc, not a timeout)" test "$rc" -ne 0 -a "$rc" -ne 124
check_contains "systemd driver: error points to cgroupfs" "cgroupfs" "$err"
check_fails "systemd driver: no container left" test -n "$(status_of "sysd-$$")"

# wrongly typed resources: named on create and on update
make_bundle "$T/typed" sleep 1000 >/dev/null
bundle_edit "$T/typed" "c['linux']['resources']['memory'] = {'limit': '100M'}"
err=$("${B[@]}" create --bundle "$T/typed" "typed-$$" </dev/null 2>&1 >/dev/null)
check_contains "create: string memory limit named" "linux.resources.memory.limit" "$err"
check_fails "create: nothing left" test -n "$(status_of "typed-$$")"

make_bundle "$T/upd" sleep 1000 >/dev/null
check "update target: create" "${B[@]}" create --bundle "$T/upd" "upd-$$" </dev/null
err=$(echo '{"pids":{"limit":"10"}}' | "${B[@]}" update --resources - "upd-$$" 2>&1)
rc=$?
check "update: wrong type fails (rc=$rc)" test "$rc" -ne 0
check_contains "update: wrong type named" "linux.resources.pids.limit" "$err"
err=$(echo '{"memory":{"swappiness":300}}' | "${B[@]}" update --resources - "upd-$$" 2>&1)
check_contains "update: swappiness range named" "swappiness" "$err"
check "update target: delete --force" "${B[@]}" delete --force "upd-$$"
finish

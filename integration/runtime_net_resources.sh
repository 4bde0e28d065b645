#!/usr/bin/env bash
# issue 12 item 6: linux.resources.network (net_cls classID, net_prio priorities) on a host
# where those cgroup v1 controllers are not mounted: runc and crun fail the create, and so
# must bottle, in one line naming the controller (before, the limit silently vanished).
# A config without the limits, or with classID 0 and no priorities, still runs everywhere.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"

# crun leaves the cgroups of a create it failed behind.
cleanup_extra() {
  local d
  for d in /sys/fs/cgroup/*/bottle-test/{classid,prio,none}-{runc,crun,bottle}-$$; do
    [ -d "$d" ] && rmdir "$d"
  done
  return 0
}

grep -qw net_cls /proc/self/mountinfo && skip "net_cls is mounted here: this test is for hosts without it"
grep -qw net_prio /proc/self/mountinfo && skip "net_prio is mounted here: this test is for hosts without it"

run_all classid "c['linux']['resources']['network'] = {'classID': 1048577}" echo ran
all_fail classid "net_cls"
check_contains "classid: bottle names the field" "linux.resources.network.classID" \
  "$(cat "$T/classid.bottle.err")"
check_eq "classid: bottle's error is one line" 1 "$(wc -l <"$T/classid.bottle.err")"

run_all prio "c['linux']['resources']['network'] = {'priorities': [{'name': 'lo', 'priority': 3}]}" echo ran
all_fail prio "net_prio|net_cls"
check_contains "prio: bottle names the controller" "net_prio cgroup controller is not mounted" \
  "$(cat "$T/prio.bottle.err")"

# Nothing is left of the refused containers.
check_eq "nothing left in bottle's root" "" "$("$BOTTLE" --root "$T/root-bottle" list -q 2>/dev/null)"

# An empty network object asks for nothing: runc and bottle run it; crun 1.8.1 opens the
# missing net_cls directory anyway and fails (shown, not asserted: bottle follows runc).
run_all none "c['linux']['resources']['network'] = {'classID': 0, 'priorities': []}" echo ran
[ -e "$T/none.crun.rc" ] && echo "# crun: exit $(cat "$T/none.crun.rc"), $(tail -c 150 "$T/none.crun.err")"
RUNTIMES=${RUNTIMES/crun /}
same none ran

finish

#!/usr/bin/env bash
# issue 12 item 2: a config that joins a UTS namespace by path and sets "hostname" runs under
# runc, crun and bottle alike, and the name is set in the joined namespace (runc's
# behaviour, checked here for each runtime); a hostname with no UTS namespace at all is still
# refused by each of them.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"

cleanup_extra() {
  local f
  for f in "$T"/*.uts; do
    [ -e "$f" ] && umount "$f" 2>/dev/null
  done
}
HOST_NAME=$(hostname)

# One persistent UTS namespace per runtime, named "before", next to its bundle.
for rt in $RUNTIMES; do
  touch "$T/uts-$rt.uts"
  unshare --uts="$T/uts-$rt.uts" hostname before
done
run_all uts "
import os
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'uts']
c['linux']['namespaces'].append({'type': 'uts', 'path': os.path.dirname(path) + '.uts'})
c['hostname'] = 'joined-' + os.path.dirname(path).rsplit('-', 1)[1]" hostname
for rt in $RUNTIMES; do
  if [ "$(cat "$T/uts.$rt.rc")" = 0 ] && [ "$(cat "$T/uts.$rt.out")" = "joined-$rt" ]; then
    ok "uts: $rt runs it and the container is named joined-$rt"
  else
    fail "uts: $rt: exit $(cat "$T/uts.$rt.rc"), stdout '$(cat "$T/uts.$rt.out")'," \
      "stderr '$(tail -c 300 "$T/uts.$rt.err")'"
  fi
  check_eq "uts: $rt named the joined namespace itself" "joined-$rt" \
    "$(nsenter --uts="$T/uts-$rt.uts" hostname)"
done
check_eq "uts: the host's name is untouched" "$HOST_NAME" "$(hostname)"

# Without a UTS namespace the name would be the host's: every runtime refuses it.
run_all nouts "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'uts']" hostname
all_fail nouts "hostname without a private UTS namespace|UTS namespace"
check_eq "nouts: the host's name is untouched" "$HOST_NAME" "$(hostname)"

finish

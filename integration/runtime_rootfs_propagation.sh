#!/usr/bin/env bash
# issue 12 item 4: linux.rootfsPropagation as crun applies it. "shared"/"rshared" reach the new
# root after pivot_root (runc 1.1 leaves it private), and "unbindable" no longer breaks the
# bind of the rootfs onto itself (runc 1.1 fails it with EINVAL, as bottle did). "slave" and
# "private" leave the new root private everywhere. The host's "/" keeps its propagation.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"

host_root_prop() { awk '$5=="/" {print $7; exit}' /proc/self/mountinfo; }
before=$(host_root_prop)
# The optional fields of the container's "/" as it sees them: "-" for none (private).
SHOW='awk "\$5==\"/\" {print \$7}" /proc/self/mountinfo'
for p in shared rshared unbindable slave private; do
  run_all "p-$p" "c['linux']['rootfsPropagation'] = '$p'" sh -c "$SHOW"
  for rt in $RUNTIMES; do
    echo "# $p: $rt exit $(cat "$T/p-$p.$rt.rc"), / has '$(cat "$T/p-$p.$rt.out")'"
  done
done
for p in shared rshared; do
  check_contains "$p: bottle's new root is shared" "shared:" "$(cat "$T/p-$p.bottle.out")"
  if [[ " $RUNTIMES " == *" crun "* ]]; then
    check_contains "$p: so is crun's" "shared:" "$(cat "$T/p-$p.crun.out")"
  fi
done
check_eq "unbindable: bottle runs it with an unbindable new root" "0 unbindable" \
  "$(cat "$T/p-unbindable.bottle.rc") $(cat "$T/p-unbindable.bottle.out")"
if [[ " $RUNTIMES " == *" crun "* ]]; then
  check_eq "unbindable: as crun does" "0 unbindable" \
    "$(cat "$T/p-unbindable.crun.rc") $(cat "$T/p-unbindable.crun.out")"
fi
for p in slave private; do
  same "p-$p" -
done
check_eq "the host's / keeps its propagation" "$before" "$(host_root_prop)"

finish

#!/usr/bin/env bash
# issue 12 item 8: what `features` advertises must be true. Docker 25+ (dockerd reads each
# runtime's features) and containerd 2.x's CRI (runtime introspection) use "rro" for read-only
# binds only when the runtime lists it, and CRI-O checks mount options against the list. Every
# recursive mount attribute bottle lists is also listed by runc, and a bind with it runs under
# runc and bottle alike; rro makes a submount of the source read-only under both.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"
# shellcheck disable=SC2034 # read by run_all and same
RUNTIMES="runc bottle" # crun 1.8.1 has no features verb

cleanup_extra() { umount "$T/src/sub" 2>/dev/null; }
mkdir -p "$T/src/sub"
mount -t tmpfs -o size=1m bottle-features "$T/src/sub"

opts() { "$1" features | python3 -c 'import json,sys; print(" ".join(o for o in json.load(sys.stdin)["mountOptions"] if o.startswith("r") and o not in ("rbind", "relatime", "remount", "ro", "rw") and not o.endswith(("private", "shared", "slave", "unbindable"))))'; }
bottle_opts=$(opts "$BOTTLE")
runc_opts=" $(opts "$RUNC") "
check_contains "bottle lists rro" " rro " " $bottle_opts "
for o in $bottle_opts; do
  case $runc_opts in *" $o "*) ;; *) fail "bottle lists $o, runc does not" ;; esac
done
ok "bottle's recursive options: $bottle_opts"

for o in $bottle_opts; do
  run_all "opt-$o" "
c['mounts'].append({'destination': '/mnt', 'type': 'bind', 'source': '$T/src', 'options': ['rbind', '$o']})" \
    sh -c 'test -d /mnt/sub && echo ran'
  same "opt-$o" ran
done

run_all rro "
c['mounts'].append({'destination': '/mnt', 'type': 'bind', 'source': '$T/src', 'options': ['rbind', 'rro']})" \
  sh -c 'touch /mnt/sub/x 2>/dev/null && echo writable || echo read-only'
same rro read-only

finish

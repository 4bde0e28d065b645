#!/usr/bin/env bash
# issue 12 item 5: the state a hook reads on stdin, for each hook kind, under runc, crun and
# bottle. Where runc and crun differ bottle follows the spec's lifecycle (a hook sees the
# state the container is in when it runs): prestart and createRuntime run once the
# environment exists, so "created" (crun; runc says "creating"); createContainer "created"
# (crun; runc "creating"); startContainer "created" (runc; crun says "starting", which is no
# state of the spec); poststart "running" (crun; runc "created"); poststop "stopped". Every
# hook of a create gets the init's host pid (crun gives createContainer and startContainer
# 0). docs/runtime.md lists the choice; Docker's libnetwork-setkey prestart hook reads only
# id and pid (docker_run.sh drives it).
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"

KINDS="prestart createRuntime createContainer startContainer poststart poststop"
for rt in $RUNTIMES; do
  bin=$(bin_of $rt)
  d=$T/h-$rt
  make_bundle "$d" sleep 1
  # Host-side hooks write to $T; createContainer and startContainer run in the container's
  # mount namespace (before and after pivot_root) and write under the rootfs's /tmp.
  bundle_edit "$d" "
import os
def hk(kind, where):
    return {'path': '/bin/sh', 'args': ['sh', '-c', 'cat > %s/%s' % (where, kind)]}
c['hooks'] = {k: [hk(k, '$T/out-$rt')] for k in ('prestart', 'createRuntime', 'poststart', 'poststop')}
c['hooks']['createContainer'] = [hk('createContainer', '$d/rootfs/tmp')]
c['hooks']['startContainer'] = [hk('startContainer', '/tmp')]"
  mkdir -p "$T/out-$rt"
  (cd "$d" && "$bin" --root "$T/root-$rt" run "h-$$" </dev/null >"$T/run.$rt.out" 2>&1) ||
    fail "$rt: run failed: $(tail -c 300 "$T/run.$rt.out")"
  cp "$d/rootfs/tmp/createContainer" "$d/rootfs/tmp/startContainer" "$T/out-$rt/" 2>/dev/null
  for k in $KINDS; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("status"), d.get("pid", 0))' \
      "$T/out-$rt/$k" >"$T/out-$rt/$k.sp" 2>/dev/null || echo "none 0" >"$T/out-$rt/$k.sp"
  done
  echo "# $rt: $(for k in $KINDS; do printf '%s=%s ' $k "$(cut -d' ' -f1 "$T/out-$rt/$k.sp")"; done)"
done

status_of() { cut -d' ' -f1 "$T/out-$1/$2.sp"; }
pid_of() { cut -d' ' -f2 "$T/out-$1/$2.sp"; }
# What runc and crun do here, so that a change in either shows up.
check_eq "runc: prestart sees creating" creating "$(status_of runc prestart)"
check_eq "runc: poststart sees created" created "$(status_of runc poststart)"
if [[ " $RUNTIMES " == *" crun "* ]]; then
  check_eq "crun: prestart sees created" created "$(status_of crun prestart)"
  check_eq "crun: poststart sees running" running "$(status_of crun poststart)"
fi
declare -A want=([prestart]=created [createRuntime]=created [createContainer]=created
  [startContainer]=created [poststart]=running [poststop]=stopped)
for k in $KINDS; do
  check_eq "bottle: $k sees ${want[$k]}" "${want[$k]}" "$(status_of bottle "$k")"
done
init_pid=$(pid_of bottle prestart)
check "bottle: prestart gets the init's host pid" test "$init_pid" -gt 1
for k in createRuntime createContainer startContainer poststart; do
  check_eq "bottle: $k gets the same pid" "$init_pid" "$(pid_of bottle "$k")"
done

finish

#!/usr/bin/env bash
# issue 12 item 3: the CVE-2024-21626 check (is the cwd inside the container's root?) runs
# before the container's seccomp filter is loaded, as crun does: a profile that denies
# getcwd, with noNewPrivileges false (filter loaded early), must not break the create.
# runc 1.1 fails it ("failed to verify if current working directory is safe"); bottle
# follows crun here (docs/runtime.md lists the difference). The check itself still holds:
# a cwd that is a symlink out of the root is still resolved inside it.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"

NOGETCWD="
c['process']['noNewPrivileges'] = False
c['process']['cwd'] = '/tmp'
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64'],
  'syscalls': [{'names': ['getcwd'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}"
run_all nogetcwd "$NOGETCWD" echo started
for rt in $RUNTIMES; do
  echo "# $rt: exit $(cat "$T/nogetcwd.$rt.rc"), $(tail -c 200 "$T/nogetcwd.$rt.err")"
done
for rt in $RUNTIMES; do
  [ "$rt" = runc ] && continue
  if [ "$(cat "$T/nogetcwd.$rt.rc")" = 0 ] && [ "$(cat "$T/nogetcwd.$rt.out")" = started ]; then
    ok "nogetcwd: $rt starts the container under a profile denying getcwd"
  else
    fail "nogetcwd: $rt: exit $(cat "$T/nogetcwd.$rt.rc"), stderr '$(tail -c 300 "$T/nogetcwd.$rt.err")'"
  fi
done
# The profile is in force in the container: its own getcwd (busybox pwd) is refused.
run_all pwd "$NOGETCWD" sh -c 'busybox pwd 2>/dev/null || echo refused'
check_contains "pwd: bottle's container runs under the profile" refused "$(cat "$T/pwd.bottle.out")"
check_eq "pwd: bottle exits 0" 0 "$(cat "$T/pwd.bottle.rc")"
# With NNP on the filter comes last anyway: every runtime starts it.
run_all nnp "$NOGETCWD
c['process']['noNewPrivileges'] = True" echo started
same nnp started
# The cwd check still works without a profile: the same bundle with no seccomp and a cwd
# that is a symlink to / is entered inside the root.
run_all link "
import os
os.symlink('/', os.path.dirname(path) + '/rootfs/up')
c['process']['cwd'] = '/up'" pwd
same link /

finish

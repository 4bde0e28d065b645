#!/usr/bin/env bash
# Seccomp profiles that predate 2020 (Docker's before 20.10, older Kubernetes RuntimeDefault,
# hand-written ones): defaultAction SCMP_ACT_ERRNO (EPERM) and no faccessat2, with
# noNewPrivileges false, so the filter is loaded before the executable is looked up. glibc
# 2.33+ turns faccessat(..., AT_EACCESS) into faccessat2; a runtime that checks args[0] that
# way under the filter fails every container. bottle, runc and crun (when it runs here) must
# start a path command, a bare-name command found through PATH and busybox itself alike, as
# root and as uid 1000, with NNP off and on; and a profile that refuses execve itself must
# still be reported as "operation not permitted", as runc and crun do.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"

# Docker's default profile for amd64 and Docker's default capabilities (as dockerd builds
# linux.seccomp), minus faccessat2 and the other names moby's profile gained after 19.03.
# $1: extra names to drop (e.g. execve).
LATER='faccessat2 close_range epoll_pwait2 process_madvise landlock_create_ruleset
landlock_add_rule landlock_restrict_self memfd_secret futex_waitv mount_setattr quotactl_fd
pidfd_getfd openat2'
legacy_seccomp() { docker_seccomp "$DOCKER_CAPS" "$LATER $1"; }
LEGACY=$(legacy_seccomp "")
NOEXEC=$(legacy_seccomp "execve execveat")
case $LEGACY in *faccessat2*) fail "the legacy profile still lists faccessat2" ;; esac
case $LEGACY in *'"SCMP_ACT_ERRNO"'*) ;; *) fail "the legacy profile's default is not ERRNO" ;; esac

# run_legacy NAME PROFILE PYTHON-EDIT ARGS...: the conformance lib's run_all with noNewPrivileges
# off and PROFILE as linux.seccomp.
run_legacy() {
  local name=$1 profile=$2 edit=$3
  shift 3
  run_all "$name" "
c['process']['noNewPrivileges'] = False
c['linux']['seccomp'] = json.loads('''$profile''')
$edit" "$@"
}

run_legacy path "$LEGACY" "" /bin/sh -c 'echo ok'
same path ok
run_legacy bare "$LEGACY" "" echo ok
same bare ok
run_legacy busybox "$LEGACY" "" busybox echo busybox
same busybox busybox
run_legacy abs-busybox "$LEGACY" "" /bin/busybox true
same abs-busybox ""
# As uid 1000 (the check answers for the container user), and with NNP on (filter last).
run_legacy user "$LEGACY" "c['process']['user'] = {'uid': 1000, 'gid': 1000, 'additionalGids': [5]}" \
  sh -c 'id -u; echo user'
same user "1000
user"
run_legacy nnp "$LEGACY" "c['process']['noNewPrivileges'] = True" id -u
same nnp 0
# The fds the process starts with: close_range is one of the names dropped.
run_legacy fds "$LEGACY" "" ls /proc/self/fd
same fds "$(cat "$T/fds.runc.out")"

# Not executable for uid 1000 (root's 0744 script), executable for root: the mode bits for the
# container user decide, as the kernel would.
run_legacy noexec-user "$LEGACY" "
c['process']['user'] = {'uid': 1000, 'gid': 1000}
import os, shutil
r = os.path.join(os.path.dirname(path), 'rootfs')
open(r + '/bin/rootonly', 'w').write('#!/bin/sh\\necho root\\n')
os.chmod(r + '/bin/rootonly', 0o744)" rootonly true
for rt in $RUNTIMES; do
  if [ "$(cat "$T/noexec-user.$rt.rc")" != 0 ] && grep -qi "permission denied" "$T/noexec-user.$rt.err"; then
    ok "noexec-user: $rt refuses a 0744 root file for uid 1000 (permission denied)"
  else
    fail "noexec-user: $rt: exit $(cat "$T/noexec-user.$rt.rc"), stderr '$(tail -c 300 "$T/noexec-user.$rt.err")'"
  fi
done
check_contains "noexec-user: bottle's Go-style text" 'rootonly\": permission denied' \
  "$(cat "$T/noexec-user.bottle.err")"
run_legacy noexec-root "$LEGACY" "
import os, shutil
r = os.path.join(os.path.dirname(path), 'rootfs')
open(r + '/bin/rootonly', 'w').write('#!/bin/sh\\necho root\\n')
os.chmod(r + '/bin/rootonly', 0o744)" rootonly
same noexec-root root

# The profile refuses execve: a real EPERM, reported as such by every runtime.
for name in execve-path execve-bare; do
  if [ $name = execve-path ]; then args=(/bin/sh -c 'echo ok'); else args=(echo ok); fi
  run_legacy $name "$NOEXEC" "" "${args[@]}"
  for rt in $RUNTIMES; do
    if [ "$(cat "$T/$name.$rt.rc")" != 0 ] && grep -qi "operation not permitted" "$T/$name.$rt.err" &&
      [ ! -s "$T/$name.$rt.out" ]; then
      ok "$name: $rt reports the profile's EPERM at execve"
    else
      fail "$name: $rt: exit $(cat "$T/$name.$rt.rc"), stdout '$(cat "$T/$name.$rt.out")'," \
        "stderr '$(tail -c 300 "$T/$name.$rt.err")'"
    fi
  done
  check_fails "$name: bottle does not call it a missing executable" \
    grep -q "not found" "$T/$name.bottle.err"
done
echo "# bottle's execve-path error: $(tail -c 200 "$T/execve-path.bottle.err")"

finish

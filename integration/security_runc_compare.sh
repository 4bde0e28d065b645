#!/usr/bin/env bash
# Capabilities, no_new_privs, seccomp and LSM labels: bottle against runc (the
# oracle) on identical busybox bundles. Docker's default seccomp profile
# (tests/fixtures/seccomp-docker-default.json, turned into linux.seccomp the
# way dockerd 20.10 does for the capability set) must give the same
# /proc/self/status lines and the same results for blocked and allowed
# syscalls; label and capability edge cases must give runc's outcome.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
RUNC=${RUNC:-/usr/sbin/runc}
[ -x "$RUNC" ] || skip "runc not installed at $RUNC"

T=$(mktemp -d /tmp/bottle-sec.XXXXXX)
cleanup() {
  for rt in runc bottle; do
    local bin=$RUNC
    [ $rt = bottle ] && bin=$BOTTLE
    for id in $("$bin" --root "$T/root-$rt" list -q 2>/dev/null); do
      "$bin" --root "$T/root-$rt" delete -f "$id" >/dev/null 2>&1
    done
  done
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
# Plain OCI containers, as runc makes them; the bottled layer has its own test.
bottle_plain_mode "$T"

# dockerd 20.10's setupSeccomp for amd64: docker_seccomp in tests/bundle.lib.sh.

probe='grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status
id
unshare -U true 2>&1; echo "unshare -U: $?"
unshare -n true 2>&1; echo "unshare -n: $?"
mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1; echo "mount: $?"
ls / >/dev/null; echo "ls: $?"
echo probe >/tmp/f && cat /tmp/f
chown 1000 /tmp/f 2>&1; echo "chown: $?"
chroot / true 2>&1; echo "chroot: $?"'

# The runtimes' own log lines carry a time; two runs a second apart must still compare equal.
untime() { sed -i -E 's/^time="[^"]*" /time="T" /' "$@"; }

# scenario NAME PYTHON-EDIT: runs the probe under both runtimes, compares every line.
scenario() {
  local name=$1 edit=$2 rt bin
  for rt in runc bottle; do
    make_bundle "$T/$name-$rt" sh -c "$probe"
    bundle_edit "$T/$name-$rt" "$edit"
  done
  for rt in runc bottle; do
    bin=$RUNC
    [ $rt = bottle ] && bin=$BOTTLE
    (cd "$T/$name-$rt" && "$bin" --root "$T/root-$rt" run "$name-$$" </dev/null >"$T/$name.$rt.out" 2>&1)
    echo "exit: $?" >>"$T/$name.$rt.out"
  done
  untime "$T/$name.runc.out" "$T/$name.bottle.out"
  if diff -u "$T/$name.runc.out" "$T/$name.bottle.out"; then
    ok "$name: same caps, NoNewPrivs, Seccomp lines and syscall results as runc"
  else
    fail "$name: differs from runc (diff above)"
  fi
}

SECCOMP_DEFAULT=$(docker_seccomp "$DOCKER_CAPS")
SECCOMP_NONE=$(docker_seccomp '[]')
SECCOMP_ADMIN=$(docker_seccomp "$(python3 -c "import json,sys; print(json.dumps(json.loads(sys.argv[1]) + ['CAP_SYS_ADMIN']))" "$DOCKER_CAPS")")

# Docker's default container: 14 caps, NNP off (filter loaded before the caps drop), root.
scenario docker-default "
caps = $DOCKER_CAPS
c['process']['capabilities'] = {'bounding': caps, 'effective': caps, 'permitted': caps}
c['process']['noNewPrivileges'] = False
c['linux']['seccomp'] = json.loads('''$SECCOMP_DEFAULT''')"
grep -q '^unshare -U: 0' "$T/docker-default.bottle.out" &&
  fail "docker default: unshare -U must fail under the profile" ||
  ok "docker default: unshare -U is refused"
check_contains "docker default: ordinary syscalls work" "probe" "$(cat "$T/docker-default.bottle.out")"
check_contains "docker default: a filter is installed" "Seccomp:	2" "$(cat "$T/docker-default.bottle.out")"

# --user 1000:1000 --security-opt no-new-privileges: filter loaded last, after setuid.
scenario docker-user-nnp "
caps = $DOCKER_CAPS
c['process']['capabilities'] = {'bounding': caps, 'effective': caps, 'permitted': caps}
c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['process']['noNewPrivileges'] = True
c['linux']['seccomp'] = json.loads('''$SECCOMP_DEFAULT''')"

# --cap-drop ALL.
scenario cap-drop-all "
c['process']['capabilities'] = {}
c['process']['noNewPrivileges'] = False
c['linux']['seccomp'] = json.loads('''$SECCOMP_NONE''')"

# --cap-add SYS_ADMIN: the profile's CAP_SYS_ADMIN groups open unshare and mount.
scenario cap-add-sys-admin "
caps = $DOCKER_CAPS + ['CAP_SYS_ADMIN']
c['process']['capabilities'] = {'bounding': caps, 'effective': caps, 'permitted': caps}
c['process']['noNewPrivileges'] = False
c['linux']['seccomp'] = json.loads('''$SECCOMP_ADMIN''')"
check_contains "CAP_SYS_ADMIN: unshare -U allowed" "unshare -U: 0" "$(cat "$T/cap-add-sys-admin.bottle.out")"

# Non-root with ambient capabilities, and names runc ignores (unknown, or ambient without
# inheritable).
scenario ambient-and-unknown "
c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['process']['capabilities'] = {'bounding': ['CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_BOGUS'],
  'effective': ['CAP_NET_BIND_SERVICE'], 'permitted': ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
  'inheritable': ['CAP_NET_BIND_SERVICE'], 'ambient': ['CAP_NET_BIND_SERVICE', 'CAP_KILL']}"

# exec into a running container: the exec'd process gets the container's filter and the
# process caps (runc-cli.md §9.5 item 6).
for rt in runc bottle; do
  make_bundle "$T/exec-$rt" sleep 60
  bundle_edit "$T/exec-$rt" "
caps = $DOCKER_CAPS
c['process']['capabilities'] = {'bounding': caps, 'effective': caps, 'permitted': caps}
c['process']['noNewPrivileges'] = False
c['linux']['seccomp'] = json.loads('''$SECCOMP_DEFAULT''')"
  bin=$RUNC
  [ $rt = bottle ] && bin=$BOTTLE
  (cd "$T/exec-$rt" && "$bin" --root "$T/root-$rt" run -d "exec-$$" </dev/null >/dev/null 2>&1)
  "$bin" --root "$T/root-$rt" exec "exec-$$" sh -c "$probe" </dev/null >"$T/exec.$rt.out" 2>&1
  echo "exit: $?" >>"$T/exec.$rt.out"
  "$bin" --root "$T/root-$rt" delete -f "exec-$$" >/dev/null 2>&1
done
untime "$T/exec.runc.out" "$T/exec.bottle.out"
if diff -u "$T/exec.runc.out" "$T/exec.bottle.out"; then
  ok "exec: same caps, NoNewPrivs, Seccomp lines and syscall results as runc"
else
  fail "exec: differs from runc (diff above)"
fi
check_contains "exec: unshare -U refused by the container's filter" "unshare -U: 1" "$(cat "$T/exec.bottle.out")"

# Labels on this host: each runtime's outcome (success, or failure with runc's words).
label_outcome() { # name edit -> "runc-exit bottle-exit" plus substring checks
  local name=$1 edit=$2 rt bin
  for rt in runc bottle; do
    make_bundle "$T/$name-$rt" true
    bundle_edit "$T/$name-$rt" "$edit"
    bin=$RUNC
    [ $rt = bottle ] && bin=$BOTTLE
    (cd "$T/$name-$rt" && "$bin" --root "$T/root-$rt" run "$name-$$" </dev/null >"$T/$name.$rt.out" 2>&1)
    echo $? >"$T/$name.$rt.rc"
  done
  check_eq "$name: same exit status as runc" "$(cat "$T/$name.runc.rc")" "$(cat "$T/$name.bottle.rc")"
}
label_outcome apparmor "c['process']['apparmorProfile'] = 'docker-default'"
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
  check_contains "apparmor off: runc's error words" "apparmor failed to apply profile" "$(cat "$T/apparmor.bottle.out")"
fi
label_outcome selinux "c['process']['selinuxLabel'] = 'system_u:system_r:container_t:s0'"
if [ ! -e /sys/fs/selinux/enforce ]; then
  check_contains "selinux off: runc's error words" "selinux label is specified in config, but selinux is disabled" "$(cat "$T/selinux.bottle.out")"
fi
finish

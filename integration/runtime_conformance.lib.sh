# shellcheck shell=bash
# One bundle under runc, crun (when it runs a plain bundle here) and bottle, side by side
# (issue 12's conformance tests). Source after tests/lib.sh and tests/bundle.lib.sh.
# Sets T (a temp dir the cleanup removes), RUNTIMES and bin_of; cleanup_extra, when a test
# defines it, runs before the bundles are deleted.
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
RUNC=${RUNC:-/usr/sbin/runc}
[ -x "$RUNC" ] || skip "runc not installed at $RUNC"
CRUN=${CRUN:-$(command -v crun || true)}

T=$(mktemp -d /tmp/bottle-conf.XXXXXX)
RUNTIMES="runc bottle"
bin_of() {
  case $1 in runc) echo "$RUNC" ;; crun) echo "$CRUN" ;; bottle) echo "$BOTTLE" ;; esac
}
cleanup() {
  local rt bin id
  if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
  for rt in runc crun bottle; do
    bin=$(bin_of $rt)
    [ -n "$bin" ] || continue
    for id in $("$bin" --root "$T/root-$rt" list -q 2>/dev/null); do
      "$bin" --root "$T/root-$rt" delete -f "$id" >/dev/null 2>&1
    done
  done
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
bottle_plain_mode "$T"

if [ -n "$CRUN" ] && [ -x "$CRUN" ]; then
  make_bundle "$T/crun-probe" true
  if (cd "$T/crun-probe" && "$CRUN" --root "$T/root-crun" run "probe-$$" </dev/null >"$T/crun-probe.out" 2>&1); then
    RUNTIMES="runc crun bottle"
  else
    echo "# crun cannot run a plain bundle here, comparing with runc only: $(cat "$T/crun-probe.out")"
  fi
else
  echo "# crun not installed, comparing with runc only"
fi

# run_all NAME PYTHON-EDIT ARGS...: the same bundle (make_bundle ARGS, then the edit) run by
# each runtime; stdout in $T/NAME.RT.out, stderr in $T/NAME.RT.err, status in $T/NAME.RT.rc.
run_all() {
  local name=$1 edit=$2 rt bin
  shift 2
  for rt in $RUNTIMES; do
    bin=$(bin_of "$rt")
    make_bundle "$T/$name-$rt" "$@"
    bundle_edit "$T/$name-$rt" "$edit"
    (cd "$T/$name-$rt" && timeout 30 "$bin" --root "$T/root-$rt" run "$name-$$" </dev/null \
      >"$T/$name.$rt.out" 2>"$T/$name.$rt.err")
    echo $? >"$T/$name.$rt.rc"
  done
}

# same NAME WANT: every runtime exited 0 and printed WANT.
same() {
  local name=$1 want=$2 rt
  for rt in $RUNTIMES; do
    if [ "$(cat "$T/$name.$rt.rc")" = 0 ] && [ "$(cat "$T/$name.$rt.out")" = "$want" ]; then
      ok "$name: $rt runs it and prints '$want'"
    else
      fail "$name: $rt: exit $(cat "$T/$name.$rt.rc"), stdout '$(cat "$T/$name.$rt.out")'," \
        "stderr '$(tail -c 300 "$T/$name.$rt.err")'"
    fi
  done
}

# all_fail NAME PATTERN: every runtime exited non-zero, printed nothing, and its stderr
# matches PATTERN (grep -E -i).
all_fail() {
  local name=$1 pattern=$2 rt
  for rt in $RUNTIMES; do
    if [ "$(cat "$T/$name.$rt.rc")" != 0 ] && [ ! -s "$T/$name.$rt.out" ] &&
      grep -Eqi "$pattern" "$T/$name.$rt.err"; then
      ok "$name: $rt refuses it ($(grep -Eio "$pattern" "$T/$name.$rt.err" | head -1))"
    else
      fail "$name: $rt: exit $(cat "$T/$name.$rt.rc"), stdout '$(cat "$T/$name.$rt.out")'," \
        "stderr '$(tail -c 300 "$T/$name.$rt.err")'"
    fi
  done
}

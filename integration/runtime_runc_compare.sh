#!/usr/bin/env bash
# bottle against runc (the oracle, /usr/sbin/runc) on identical busybox
# bundles: what the container sees (hostname, ids, capabilities, no_new_privs,
# mounts, env, fds), state JSON shape and status transitions, pid file bytes,
# list/ps shapes, exit codes and error substrings (runc-cli.md §11).
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
RUNC=${RUNC:-/usr/sbin/runc}
[ -x "$RUNC" ] || skip "runc not installed at $RUNC"

T=$(mktemp -d /tmp/bottle-rc.XXXXXX)
# These tests drive plain OCI containers; bottled mode has its own tests.
printf '{"mode": "plain"}\n' >"$T/bottle-config.json"
export BOTTLE_CONFIG=$T/bottle-config.json
ID=rc$$
cleanup() {
  for rt in "$RUNC" "$BOTTLE"; do
    for id in $("$rt" --root "$T/root-$(basename "$rt")" list -q 2>/dev/null); do
      "$rt" --root "$T/root-$(basename "$rt")" delete -f "$id" >/dev/null 2>&1
    done
  done
  rm -rf "$T"
}
trap cleanup EXIT
R() { local rt=$1; shift; "$rt" --root "$T/root-$(basename "$rt")" --log "$T/log-$(basename "$rt").json" --log-format json "$@"; }

# One bundle per runtime (distinct cgroupsPath), same config otherwise.
probe='hostname; id; grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status; env | sort;
ls /proc/self/fd | tr "\n" " "; echo; awk "{print \$2, \$3}" /proc/self/mounts; ls -l /dev | awk "{print \$1, \$NF}"; exit 3'
for rt in runc bottle; do
  make_bundle "$T/$rt" sh -c "$probe"
  bundle_edit "$T/$rt" 'c["process"]["user"]={"uid":1000,"gid":1000,"additionalGids":[5]}; c["annotations"]={"foo":"bar"}'
done
run_probe() { (cd "$T/$2" && R "$1" run "$ID" </dev/null 2>&1); echo "rc=$?"; }
run_probe "$RUNC" runc >"$T/runc.out"
run_probe "$BOTTLE" bottle >"$T/bottle.out"
if ! diff -u "$T/runc.out" "$T/bottle.out" >"$T/diff"; then cat "$T/diff"; fi
for what in hostname "^uid=" "^CapBnd" "^CapEff" "^CapPrm" "^CapInh" "^CapAmb" "^NoNewPrivs" "^PATH=" "^HOME=" "^TERM=" "rc="; do
  check_eq "container sees the same $what" "$(grep -E "$what" "$T/runc.out")" "$(grep -E "$what" "$T/bottle.out")"
done
check_eq "same fds in the container" "$(sed -n 's/^\([0-9 ]*\)$/\1/p' "$T/runc.out" | head -1)" "$(sed -n 's/^\([0-9 ]*\)$/\1/p' "$T/bottle.out" | head -1)"
mounts() { grep -E '^/[^ ]* [a-z0-9]+$' "$1" | sort; }
check_eq "same mount points and types" "$(mounts "$T/runc.out")" "$(mounts "$T/bottle.out")"
devs() { grep -E '^[lc-]' "$1" | sort; }
check_eq "same /dev entries" "$(devs "$T/runc.out")" "$(devs "$T/bottle.out")"

# Lifecycle side by side.
for rt in runc bottle; do
  make_bundle "$T/l-$rt" sleep 100
  bundle_edit "$T/l-$rt" 'c["annotations"]={"foo":"bar"}'
done
keys() { python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); print(" ".join(sorted(j)) if isinstance(j, dict) else " ".join(sorted(j[0])))'; }
st() { R "$1" state "$ID" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"], j["pid"] > 0, j.get("annotations"))'; }
declare -A S
for rt in "$RUNC" "$BOTTLE"; do
  n=$(basename "$rt")
  b="$T/l-$([ "$n" = runc ] && echo runc || echo bottle)"
  R "$rt" create --bundle "$b" --pid-file "$T/$n.pid" "$ID" </dev/null
  S[$n.pidfile]=$(od -An -c "$T/$n.pid" | tr -d ' 0-9\n')
  S[$n.created]=$(st "$rt")
  S[$n.keys]=$(R "$rt" state "$ID" | keys)
  S[$n.layout]=$(R "$rt" state "$ID" | sed -E 's/: .*/:/'; echo "|$(R "$rt" state "$ID" | tail -c 1 | od -An -c | tr -d ' ')")
  R "$rt" start "$ID"
  S[$n.running]=$(st "$rt")
  S[$n.start2]=$(R "$rt" start "$ID" 2>&1; echo "rc=$?")
  S[$n.listkeys]=$(R "$rt" list --format json | keys)
  S[$n.listhdr]=$(R "$rt" list | head -1 | tr -s ' ')
  S[$n.ps]=$(R "$rt" ps --format json "$ID" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(type(j).__name__, len(j))')
  S[$n.delrun]=$(R "$rt" delete "$ID" 2>&1; echo "rc=$?")
  R "$rt" kill "$ID" KILL
  for _ in $(seq 50); do R "$rt" state "$ID" | grep -q stopped && break; sleep 0.05; done
  S[$n.stopped]=$(st "$rt")
  S[$n.kill2]=$(R "$rt" kill "$ID" 9 2>&1; echo "rc=$?")
  S[$n.killall]=$(R "$rt" kill --all "$ID" 9 2>&1; echo "rc=$?")
  S[$n.psstopped]=$(R "$rt" ps --format json "$ID" 2>&1)
  S[$n.exec]=$(R "$rt" exec "$ID" true 2>&1; echo "rc=$?")
  S[$n.pause]=$(R "$rt" pause "$ID" 2>&1; echo "rc=$?")
  S[$n.events]=$(R "$rt" events --stats "$ID" 2>&1; echo "rc=$?")
  S[$n.del]=$(R "$rt" delete "$ID" 2>&1; echo "rc=$?")
  S[$n.del2]=$(R "$rt" delete "$ID" 2>&1; echo "rc=$?")
  S[$n.delf]=$(R "$rt" delete -f "$ID" 2>&1; echo "rc=$?")
  S[$n.statemissing]=$(R "$rt" state "$ID" 2>/dev/null; echo "rc=$?")
  S[$n.listempty]=$(R "$rt" list --format json)
  S[$n.badfmt]=$("$rt" --log-format xml list 2>&1 | sed 's/time="[^"]*" //'; echo "rc=${PIPESTATUS[0]}")
  S[$n.noid]=$("$rt" --root "$T/root-$n" state 2>/dev/null | head -1; echo "rc=$?")
done
for k in pidfile created keys layout running listkeys listhdr ps stopped killall psstopped statemissing listempty noid; do
  check_eq "same $k" "${S[runc.$k]}" "${S[bottle.$k]}"
done
# Error texts: same substring and exit code, runtime name aside.
for k in start2 delrun kill2 exec pause events del2 delf badfmt; do
  check_eq "same $k" "${S[runc.$k]}" "$(echo "${S[bottle.$k]}" | sed 's/bottle/runc/g')"
done

# Missing program at create: same message and exit code.
for rt in runc bottle; do
  make_bundle "$T/m-$rt" no-such-program
done
a=$(cd "$T/m-runc" && R "$RUNC" create "$ID" 2>&1; echo "rc=$?")
b=$(cd "$T/m-bottle" && R "$BOTTLE" create "$ID" 2>&1; echo "rc=$?")
check_eq "same missing-program create error" "$a" "$(echo "$b" | sed 's/bottle/runc/g')"
finish

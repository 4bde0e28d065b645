#!/usr/bin/env bash
# The egress seccomp hardening in a real bottled agent (threats.md rows 12, 13):
# the same bundle, with CAP_SYS_ADMIN and a profile that allows unshare and
# setns, may make namespaces as a plain container but not as a bottled one.
# The sidecar is the pipelock test double; the probe makes no network traffic.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
[ -x "$BUILD/pipelock-double" ] || skip "pipelock double not built"
[ "$(uname -m)" = x86_64 ] || skip "the profile conversion here is for x86_64"
PROFILE=$BOTTLE_TOP/tests/fixtures/seccomp-docker-default.json

T=$(mktemp -d /tmp/bottle-secb.XXXXXX)
ID=secb$$
cleanup() {
  for id in $("$BOTTLE" --root "$T/root" list -q 2>/dev/null); do
    "$BOTTLE" --root "$T/root" delete -f "$id" >/dev/null 2>&1
  done
  rm -rf "$T"
}
trap cleanup EXIT

DOUBLE="$BUILD/pipelock-double" "$BOTTLE_TOP/tests/pipelock-double/make-bundle.sh" "$T/sidecar" \
  >"$T/make-bundle.log" 2>&1 || { cat "$T/make-bundle.log"; fail "sidecar bundle"; finish; exit; }
# The capabilities below are refused for a bottled agent unless the operator allows them.
printf '{"mode": "bottled", "sidecar": {"bundle": "%s/sidecar"}, "agent": {"allow_capabilities": ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]}}\n' \
  "$T" >"$T/bottled.json"
printf '{"mode": "plain"}\n' >"$T/plain.json"

probe='grep -E "^(NoNewPrivs|Seccomp)" /proc/self/status
unshare -n true 2>&1; echo "unshare -n: $?"
unshare -U true 2>&1; echo "unshare -U: $?"
unshare -u true 2>&1; echo "unshare -u: $?"
nsenter --net=/proc/self/ns/net true 2>&1; echo "nsenter: $?"
echo probe-done'
make_bundle "$T/agent" sh -c "$probe"
caps='["CAP_SYS_ADMIN","CAP_NET_RAW","CAP_SYS_PTRACE","CAP_KILL"]'
seccomp=$(python3 - "$PROFILE" "$caps" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); caps = set(json.loads(sys.argv[2]))
out = {"defaultAction": p["defaultAction"], "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": []}
for s in p["syscalls"]:
    inc, exc = s.get("includes") or {}, s.get("excludes") or {}
    if caps & set(exc.get("caps") or []) or "amd64" in (exc.get("arches") or []):
        continue
    if (inc.get("arches") and "amd64" not in inc["arches"]) or not set(inc.get("caps") or []) <= caps:
        continue
    out["syscalls"].append({k: s[k] for k in ("names", "action", "errnoRet", "args") if k in s})
print(json.dumps(out))
PY
)
bundle_edit "$T/agent" "
caps = $caps
c['process']['capabilities'] = {'bounding': caps, 'effective': caps, 'permitted': caps}
c['process']['noNewPrivileges'] = False
c['linux']['seccomp'] = json.loads('''$seccomp''')"

run_as() { # MODE -> output of the probe
  (cd "$T/agent" && BOTTLE_CONFIG="$T/$1.json" timeout 60 "$BOTTLE" --root "$T/root" run "$ID-$1" \
    </dev/null 2>&1)
  echo "exit: $?"
}
plain=$(run_as plain)
bottled=$(run_as bottled)
echo "--- plain"; echo "$plain"; echo "--- bottled"; echo "$bottled"

check_contains "plain: the probe ran" "probe-done" "$plain"
check_contains "plain: the spec allows unshare -n" "unshare -n: 0" "$plain"
check_contains "plain: the spec allows unshare -U" "unshare -U: 0" "$plain"
check_contains "plain: the spec allows setns" "nsenter: 0" "$plain"
check_contains "plain: one filter (the spec's)" "Seccomp_filters:	1" "$plain"

check_contains "bottled: the probe ran" "probe-done" "$bottled"
check_contains "bottled: spec filter plus the hardening" "Seccomp_filters:	2" "$bottled"
check_contains "bottled: new network namespace refused" "unshare -n: 1" "$bottled"
check_contains "bottled: new user namespace refused" "unshare -U: 1" "$bottled"
check_contains "bottled: other namespaces still allowed" "unshare -u: 0" "$bottled"
check_contains "bottled: setns refused" "nsenter: 1" "$bottled"
check_contains "bottled: EPERM, as from the kernel" "Operation not permitted" "$bottled"
check_eq "no container state left" "" "$("$BOTTLE" --root "$T/root" list -q 2>/dev/null)"
finish

#!/usr/bin/env bash
# ctr run --runc-binary bottle against a private containerd 1.6 (runc v2 shim):
# an imported OCI image runs, exit codes come back, ctr task exec works.
# ENGINE_RUNTIME_PATH=/usr/sbin/runc integration/containerd_ctr.sh proves the test itself.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=integration/engines.lib.sh
. "$(dirname "$0")/engines.lib.sh"
need_root
engines_init ctr
containerd_start
ctr_busybox_image
IMG=$ENGINE_CTR_IMAGE
RB=(--runc-binary "$ENGINE_RUNTIME_PATH" --runc-root "$CTR_RUNTIME_ROOT")
n=0
name() { n=$((n + 1)); echo "bt-$$-$n"; }

check_contains "image imported" "$IMG" "$(c image ls -q)"

c run --rm "${RB[@]}" "$IMG" "$(name)" true
check_eq "ctr run exits 0" 0 $?
c run --rm "${RB[@]}" "$IMG" "$(name)" sh -c 'exit 9'
check_eq "ctr run returns the exit code" 9 $?
check_eq "ctr run passes stdout" "out" "$(c run --rm "${RB[@]}" "$IMG" "$(name)" echo out)"
# ctr -t needs a console of its own: give it one through script(1).
C="ctr -a $CTR_SOCK -n $CTR_NS"
out=$(script -qec "$C run --rm -t ${RB[*]} $IMG $(name) sh -c '[ -t 0 ] && [ -t 1 ] && tty && exit 8'" /dev/null </dev/null)
check_eq "ctr run -t returns the exit code through the pty" 8 $?
check_contains "ctr run -t gives a tty" "/dev/pts/" "$out"
# containerd's default spec: new netns without CNI, so only lo, and it must be up.
check_eq "ctr run: private netns with lo up" "lo UP" \
  "$(c run --rm "${RB[@]}" "$IMG" "$(name)" sh -c 'ls /sys/class/net; ip link show lo | grep -o UP | head -n1' | tr '\n' ' ' | sed 's/ $//')"
check_eq "ctr run: no_new_privs from the default spec" 1 \
  "$(c run --rm "${RB[@]}" "$IMG" "$(name)" sh -c 'grep NoNewPrivs /proc/self/status' | awk '{print $2}')"
c run --rm "${RB[@]}" "$IMG" "$(name)" /no/such/binary 2>/dev/null
check_fails "ctr run of a missing binary fails" test $? -eq 0

# The systemd cgroup driver: bottle supports cgroupfs only, so a clear error, not
# a hang. (runc, for the harness proof, fails the same way only without systemd.)
if [ "$ENGINE_RUNTIME_PATH" = "$BOTTLE" ] || [ ! -d /run/systemd/system ]; then
  out=$(timeout 60 ctr -a "$CTR_SOCK" -n "$CTR_NS" run --rm "${RB[@]}" --runc-systemd-cgroup \
    --cgroup system.slice:bottle-test:x "$IMG" "$(name)" true 2>&1)
  rc=$?
  check "--runc-systemd-cgroup fails (without hanging) where systemd cannot serve it" test "$rc" -ne 0 -a "$rc" -ne 124
  check_contains "--runc-systemd-cgroup error names systemd" "systemd" "$out"
fi

id=$(name)
c run -d "${RB[@]}" "$IMG" "$id" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
check_eq "ctr run -d: task is running" RUNNING "$(c task ls | awk -v id="$id" '$1 == id { print $3 }')"
check_contains "the runtime under test holds its state" '"running"' \
  "$("$ENGINE_RUNTIME_PATH" --root "$CTR_RUNTIME_ROOT/$CTR_NS" state "$id" 2>&1)"
check_eq "ctr task exec" "exec ok" "$(c task exec --exec-id e1 "$id" echo exec ok)"
c task exec --exec-id e2 "$id" sh -c 'exit 5'
check_eq "ctr task exec returns the exit code" 5 $?
out=$(script -qec "$C task exec -t --exec-id e3 $id sh -c 'tty; exit 2'" /dev/null </dev/null)
check_eq "ctr task exec -t returns the exit code" 2 $?
check_contains "ctr task exec -t gets a pty" "/dev/pts/" "$out"
check_contains "ctr task ps lists the init" "$(c task ls | awk -v id="$id" '$1 == id { print $2 }')" "$(c task ps "$id")"
c task pause "$id" && check_eq "ctr task pause" PAUSED "$(c task ls | awk -v id="$id" '$1 == id { print $3 }')"
c task resume "$id" && check_eq "ctr task resume" RUNNING "$(c task ls | awk -v id="$id" '$1 == id { print $3 }')"
c task kill -s SIGTERM "$id"
for _ in $(seq 50); do [ "$(c task ls | awk -v id="$id" '$1 == id { print $3 }')" = STOPPED ] && break; sleep 0.1; done
check_eq "ctr task kill stops it" STOPPED "$(c task ls | awk -v id="$id" '$1 == id { print $3 }')"
check "ctr task delete" c task delete "$id"
check "ctr container delete" c container delete "$id"
check_eq "no task left" "" "$(c task ls -q)"
check_eq "shim state dir is empty" "" "$(ls "$ENGINE_TMP/containerd/state/io.containerd.runtime.v2.task/$CTR_NS" 2>&1)"
check_eq "runtime state dir is empty" "" "$(ls "$CTR_RUNTIME_ROOT/$CTR_NS" 2>&1)"
finish

#!/usr/bin/env bash
# docker run --runtime=bottle against a private dockerd 20.10: exit codes, the
# 126/127 mapping, a real pty, and the security and resource options.
# ENGINE_RUNTIME_PATH=/usr/sbin/runc integration/docker_run.sh proves the test itself.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=integration/engines.lib.sh
. "$(dirname "$0")/engines.lib.sh"
need_root
engines_init docker-run
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE
run() { dk run --rm --runtime=bottle "$@"; }

id=$(dk run -d --runtime=bottle "$IMG" sleep 100)
check_contains "the runtime under test runs --runtime=bottle" '"running"' \
  "$("$ENGINE_RUNTIME_PATH" --root "$DOCKER_RUNTIME_ROOT" state "$id" 2>&1)"
dk rm -f "$id" >/dev/null

run "$IMG" true
check_eq "run --rm true exits 0" 0 $?
run "$IMG" sh -c 'exit 3'
check_eq "run --rm returns the container's exit code" 3 $?
check_eq "run --rm passes stdout through" "hello from bottle" "$(run "$IMG" echo hello from bottle)"
check_eq "stdin reaches the container with -i" "piped" "$(echo piped | run -i "$IMG" cat)"
run "$IMG" /no/such/binary 2>/dev/null
check_eq "missing binary gives 127" 127 $?
run "$IMG" /bin/not-executable 2>/dev/null
check_eq "non-executable binary gives 126" 126 $?

# docker -it through a pseudo-terminal that script(1) owns.
out=$(script -qec "$ENGINE_DOCKER_BIN -H unix://$DOCKER_HOST_SOCK run -it --rm --runtime=bottle $IMG \
  sh -c '[ -t 0 ] && [ -t 1 ] && tty && echo TERM=\$TERM && exit 7'" /dev/null </dev/null)
rc=$?
check_eq "run -it returns the exit code through the pty" 7 "$rc"
check_contains "run -it gives the container a tty" "/dev/pts/" "$out"
check_contains "run -it sets TERM" "TERM=xterm" "$out"
out=$(printf 'echo typed-$((6*7))\nexit 5\n' | script -qec "$ENGINE_DOCKER_BIN -H unix://$DOCKER_HOST_SOCK \
  run -it --rm --runtime=bottle $IMG sh" /dev/null)
rc=$?
check_eq "run -it interactive shell exit code" 5 "$rc"
check_contains "run -it relays typed input" "typed-42" "$out"

run --read-only "$IMG" sh -c 'touch /x' 2>/dev/null
check_fails "--read-only: / is not writable" test $? -eq 0
check_eq "--read-only: tmpfs /tmp still writable" ok "$(run --read-only --tmpfs /tmp "$IMG" sh -c 'touch /tmp/x && echo ok')"

check_eq "default capabilities are Docker's 14" 00000000a80425fb \
  "$(run "$IMG" sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')"
caps=$(run --cap-drop ALL "$IMG" sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status' | awk '{print $2}' | sort -u)
check_eq "--cap-drop ALL empties every capability set" 0000000000000000 "$caps"
run --cap-drop ALL "$IMG" chown 1000 /bin/busybox 2>/dev/null
check_fails "--cap-drop ALL: chown is refused" test $? -eq 0

check_eq "--user 1000:1000" "1000 1000" "$(run --user 1000:1000 "$IMG" sh -c 'echo $(id -u) $(id -g)')"
run --user 1000:1000 "$IMG" touch /etc/x 2>/dev/null
check_fails "--user 1000:1000 cannot write root's files" test $? -eq 0

check_eq "no_new_privs off by default" 0 "$(run "$IMG" sh -c 'grep NoNewPrivs /proc/self/status' | awk '{print $2}')"
check_eq "--security-opt no-new-privileges" 1 \
  "$(run --security-opt no-new-privileges "$IMG" sh -c 'grep NoNewPrivs /proc/self/status' | awk '{print $2}')"

check_eq "--pids-limit sets pids.max" 10 "$(run --pids-limit 10 "$IMG" sh -c "$(engines_cg_in pids)")"
out=$(run --pids-limit 10 "$IMG" sh -c 'i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); done 2>&1; echo done' 2>&1)
check_contains "--pids-limit stops forks beyond the limit" "can't fork" "$out"

check_eq "--memory sets the limit" 67108864 "$(run --memory 64m "$IMG" sh -c "$(engines_cg_in memory)")"
# A process that allocates past the limit is killed by the kernel (137 = SIGKILL).
run --memory 32m --memory-swap 32m "$IMG" sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo ${#x}' >/dev/null 2>&1
check_eq "--memory: going past the limit is OOM-killed" 137 $?

links=$(run --network none "$IMG" sh -c 'ls /sys/class/net' | tr '\n' ' ')
check_eq "--network none has only lo" "lo " "$links"
host_net=$(readlink /proc/self/ns/net)
check_fails "--network none is a private netns" test "$(run --network none "$IMG" readlink /proc/self/ns/net)" = "$host_net"
check_eq "loopback is up in --network none" ok "$(run --network none "$IMG" sh -c 'ip link show lo | grep -q UP && echo ok')"

check_eq "--cpus sets the CFS quota" "50000 100000" \
  "$(run --cpus 0.5 "$IMG" sh -c "$(engines_cg_in quota)")"
check_eq "--cpuset-cpus" 0 "$(run --cpuset-cpus 0 "$IMG" sh -c "$(engines_cg_in cpuset)")"
# v2: runc's conversion of shares to weight, 1 + (512 - 2) * 9999 / 262142 = 20.
check_eq "--cpu-shares" "$([ "$ENGINE_CGROUP2" = 1 ] && echo 20 || echo 512)" \
  "$(run --cpu-shares 512 "$IMG" sh -c "$(engines_cg_in shares)")"

# Joining another container's namespaces (config.json namespaces with a path).
a=$(dk run -d --runtime=bottle --ipc shareable "$IMG" sh -c 'echo hi >/dev/shm/mark; exec sleep 1000')
ns_a=$(dk exec "$a" sh -c 'for n in net pid ipc; do readlink /proc/self/ns/$n; done' | tr '\n' ' ')
ns_b=$(run --network "container:$a" --pid "container:$a" --ipc "container:$a" "$IMG" \
  sh -c 'for n in net pid ipc; do readlink /proc/self/ns/$n; done' | tr '\n' ' ')
check_contains "namespaces of a running container readable" "net:[" "$ns_a"
check_eq "--network/--pid/--ipc container: join the other's namespaces" "$ns_a" "$ns_b"
check_contains "--pid container: sees the other's processes" "sleep 1000" \
  "$(run --pid "container:$a" "$IMG" ps -o args)"
check_eq "--ipc container: shares /dev/shm" hi "$(run --ipc "container:$a" "$IMG" cat /dev/shm/mark)"
dk rm -f "$a" >/dev/null

check_eq "hostname is the container id" 12 "$(run "$IMG" hostname | tr -d '\n' | wc -c)"
check_eq "/etc/hosts is Docker's bind mount" ok "$(run "$IMG" sh -c 'grep -q localhost /etc/hosts && echo ok')"

# Ten at once: each gets its own exit code back, none is left behind.
pids=()
for i in $(seq 10); do
  (run "$IMG" sh -c "exit $((i + 20))" >/dev/null 2>&1; echo "$i $?" >"$ENGINE_TMP/par.$i") &
  pids+=($!)
done
wait "${pids[@]}" # not a bare wait: dockerd is a child of this shell too
got=$(for i in $(seq 10); do cat "$ENGINE_TMP/par.$i" 2>/dev/null; done | awk '$2 == $1 + 20' | wc -l)
check_eq "10 parallel runs each return their own exit code" 10 "$got"

check_eq "no containers left after --rm" "" "$(dk ps -aq)"
engines_check_no_leftover_cgroups
finish

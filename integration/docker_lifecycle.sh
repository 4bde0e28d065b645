#!/usr/bin/env bash
# A detached container under docker --runtime=bottle through its whole life:
# exec (with and without -t), top, stats, update, pause/unpause, stop, restart, rm -f.
# ENGINE_RUNTIME_PATH=/usr/sbin/runc integration/docker_lifecycle.sh proves the test itself.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=integration/engines.lib.sh
. "$(dirname "$0")/engines.lib.sh"
need_root
engines_init docker-life
docker_start
docker_busybox_image
IMG=$ENGINE_IMAGE

state() { dk inspect -f "$1" "$id" 2>&1; }

# Exits 0 on SIGTERM (sleep 0.1 keeps the trap responsive), so stop is graceful.
id=$(dk run -d --runtime=bottle "$IMG" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' 2>/dev/null)
check "run -d starts" test -n "$id"
check_eq "container is running" true "$(state '{{.State.Running}}')"
check "its cgroup is where docker asked" test -d "$(engines_cg_dir "$id")"
pid=$(state '{{.State.Pid}}')
check "init pid is alive on the host" kill -0 "$pid"
check_contains "the runtime under test holds its state" '"running"' \
  "$("$ENGINE_RUNTIME_PATH" --root "$DOCKER_RUNTIME_ROOT" state "$id" 2>&1)"

check_eq "exec runs in the container" "hi $(state '{{.Config.Hostname}}')" "$(dk exec "$id" sh -c 'echo hi $(hostname)')"
dk exec "$id" sh -c 'exit 4'
check_eq "exec returns the exit code" 4 $?
check_eq "exec -i passes stdin" "in" "$(echo in | dk exec -i "$id" cat)"
check_eq "exec without -t has no tty" notty "$(dk exec "$id" sh -c '[ -t 1 ] && echo tty || echo notty')"
check_contains "exec -t gets a pty" "/dev/pts/" "$(dk exec -t "$id" tty)"
out=$(script -qec "$ENGINE_DOCKER_BIN -H unix://$DOCKER_HOST_SOCK exec -it $id sh -c 'tty; exit 6'" /dev/null </dev/null)
check_eq "exec -it through a real pty returns the exit code" 6 $?
check_contains "exec -it sees a tty" "/dev/pts/" "$out"
check_eq "exec --user" "1000" "$(dk exec --user 1000:1000 "$id" id -u)"
check_eq "exec -w and -e" "/tmp v" "$(dk exec -w /tmp -e X=v "$id" sh -c 'echo $(pwd) $X')"
# docker exec maps every runtime exec failure to 126; the message tells them apart.
err=$(dk exec "$id" no-such-command 2>&1)
check_eq "exec of a command not in PATH gives 126" 126 $?
check_contains "exec of a command not in PATH says so" "executable file not found" "$err"
err=$(dk exec "$id" /no/such/binary 2>&1)
check_eq "exec of a missing path gives 126" 126 $?
check_contains "exec of a missing path says so" "no such file or directory" "$err"
err=$(dk exec "$id" /bin/not-executable 2>&1)
check_eq "exec of a non-executable gives 126" 126 $?
check_contains "exec of a non-executable says so" "permission denied" "$err"
check "exec'd process joins the container's cgroup" \
  sh -c "dk_pids=\$($ENGINE_DOCKER_BIN -H unix://$DOCKER_HOST_SOCK exec $id sh -c 'cat /proc/self/cgroup' | grep memory:); echo \"\$dk_pids\" | grep -q '$id'"

top=$(dk top "$id" 2>&1)
check_contains "top lists the container's processes" "while :" "$top"
dk exec -d "$id" sleep 300
sleep 0.3
check_contains "top lists exec'd processes" "sleep 300" "$(dk top "$id" 2>&1)"
# The runtime has exited by now; its exec'd process must belong to the shim (§6.2).
epid=$(dk top "$id" -o pid,args 2>/dev/null | awk '$2 == "sleep" && $3 == "300" { print $1 }')
check_eq "exec'd process is reparented to the shim" containerd-shim \
  "$(cat "/proc/$(awk '/^PPid/ { print $2 }' "/proc/$epid/status" 2>/dev/null)/comm" 2>&1)"
check_eq "init's parent is the shim" containerd-shim "$(cat "/proc/$(awk '/^PPid/ { print $2 }' "/proc/$pid/status")/comm" 2>&1)"

# The first sample can come back empty while the daemon's collector starts up.
for _ in $(seq 20); do
  stats=$(dk stats --no-stream --format '{{.MemUsage}}|{{.PIDs}}' "$id" 2>&1)
  case $stats in 0B*) sleep 0.2 ;; *) break ;; esac
done
check "stats --no-stream reports memory" sh -c "echo '$stats' | grep -Eq '^[0-9.]+[KMG]i?B /'"
check "stats --no-stream reports pids" sh -c "echo '$stats' | grep -Eq '\|[1-9][0-9]*$'"

dk update --memory 96m --memory-swap 192m "$id" >/dev/null
check_eq "update --memory reaches the cgroup" 100663296 "$(engines_cg_host memory "$id")"
check_eq "update --memory is visible inside" 100663296 "$(dk exec "$id" sh -c "$(engines_cg_in memory)")"
dk update --pids-limit 50 "$id" >/dev/null
check_eq "update --pids-limit reaches the cgroup" 50 "$(engines_cg_host pids "$id")"

dk pause "$id" >/dev/null
check_eq "pause: docker says paused" true "$(state '{{.State.Paused}}')"
check_eq "pause: the cgroup is frozen" "$ENGINE_CG_FROZEN" "$(engines_cg_host freezer "$id")"
check_contains "pause: init is stopped by the freezer" "D" "$(ps -o stat= -p "$pid")"
dk unpause "$id" >/dev/null
check_eq "unpause: docker says running" "true false" "$(state '{{.State.Running}} {{.State.Paused}}')"
check_eq "unpause: the cgroup is thawed" "$ENGINE_CG_THAWED" "$(engines_cg_host freezer "$id")"
check_eq "exec works after unpause" ok "$(dk exec "$id" echo ok)"

dk stop -t 20 "$id" >/dev/null
check_eq "stop: container exited" "exited 0" "$(state '{{.State.Status}} {{.State.ExitCode}}')"
check "stop: init is gone" test ! -e "/proc/$pid"
check_fails "stop: cgroup removed" test -d "$(engines_cg_dir "$id")"

dk start "$id" >/dev/null
check_eq "start again after stop" true "$(state '{{.State.Running}}')"
old=$(state '{{.State.Pid}}')
dk restart -t 20 "$id" >/dev/null
check_eq "restart: running again" true "$(state '{{.State.Running}}')"
new=$(state '{{.State.Pid}}')
check "restart: a new init" test "$old" != "$new"
check_eq "exec works after restart" ok "$(dk exec "$id" echo ok)"
check_eq "update survives restart" 100663296 "$(engines_cg_host memory "$id")"

dk kill -s USR1 "$id" >/dev/null
check_eq "kill -s USR1 leaves a trapping init running" true "$(state '{{.State.Running}}')"
dk commit "$id" bottle-committed:test >/dev/null
check_eq "commit (pauses and resumes) keeps it running" "true false" "$(state '{{.State.Running}} {{.State.Paused}}')"
check_eq "exec works after commit" ok "$(dk exec "$id" echo ok)"

# An init without a TERM handler: stop falls back to SIGKILL after the timeout.
id3=$(dk run -d --runtime=bottle "$IMG" sh -c 'echo started; exec sleep 1000')
dk stop -t 1 "$id3" >/dev/null
check_eq "stop of a TERM-ignoring init ends with SIGKILL" "exited 137" \
  "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id3")"
check_eq "logs carry the container's stdout" started "$(dk logs "$id3" 2>&1)"
dk rm "$id3" >/dev/null
id3=$(dk run -d --runtime=bottle "$IMG" sh -c 'echo to-stderr >&2; exit 12')
check_eq "wait returns the exit code" 12 "$(dk wait "$id3")"
check_eq "logs carry the container's stderr" to-stderr "$(dk logs "$id3" 2>&1)"
dk rm "$id3" >/dev/null

# Without a private pid namespace the shim runs `kill --all` when init exits:
# children left behind in the container's cgroup must die with it.
out=$(dk run --rm --runtime=bottle --pid host "$IMG" sh -c 'sleep 1000 & echo $!')
for _ in $(seq 50); do [ -e "/proc/$out" ] || break; sleep 0.1; done
check "--pid host: init's orphan is killed on exit (kill --all)" test -n "$out" -a ! -e "/proc/$out"

# rm -f of a running container, including one whose init ignores SIGTERM.
id2=$(dk run -d --runtime=bottle "$IMG" sleep 1000)
pid2=$(dk inspect -f '{{.State.Pid}}' "$id2")
dk rm -f "$id" "$id2" >/dev/null
check_eq "rm -f removes running containers" "" "$(dk ps -aq)"
check "rm -f: init is gone" test ! -e "/proc/$new"
check "rm -f: second init is gone" test ! -e "/proc/$pid2"

# rm -f of a paused container.
id=$(dk run -d --runtime=bottle "$IMG" sleep 1000)
dk pause "$id" >/dev/null
dk rm -f "$id" >/dev/null
check_eq "rm -f removes a paused container" "" "$(dk ps -aq)"

# Restart policy: the runtime is asked to create the same id and bundle again.
id=$(dk run -d --runtime=bottle --restart on-failure:2 "$IMG" sh -c 'exit 1')
for _ in $(seq 100); do [ "$(state '{{.State.Status}} {{.RestartCount}}')" = "exited 2" ] && break; sleep 0.1; done
check_eq "restart policy reruns the container" "exited 2" "$(state '{{.State.Status}} {{.RestartCount}}')"
dk rm -f "$id" >/dev/null

check_eq "runtime state dir is empty" "" "$(ls "$DOCKER_RUNTIME_ROOT" 2>&1)"
engines_check_no_leftover_cgroups
finish

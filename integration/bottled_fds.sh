#!/usr/bin/env bash
# Issue 9, item 7: a socket handed to a bottled container (--preserve-fds of create, run and
# exec; LISTEN_FDS) is a way around its proxy when it lives in another network namespace: an
# open TCP connection to the test internet made on the host, a unix socket (which reaches its
# peer, a host daemon's docker.sock say, whatever netns made it). Each is refused in one line
# naming the fd, before anything is made; a pipe or a file passed the same way is accepted, and
# so is, for exec, a TCP socket of the agent's own netns (it can reach the proxy only).
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup fds
bottled_agent "$BT/agent" sleep 600
before=$(bt_snapshot)

# fd 3 for a command: tcp (a connection to the test internet's HTTP server, made in BT_HOST),
# unix (one end of a socketpair), pipe.
with_fd3() {
  local kind=$1
  shift
  case $kind in
    tcp) bt_host bash -c 'exec 3<>"/dev/tcp/$0/80" && exec "$@"' "$INTERNET_IP" "$@" ;;
    unix) python3 -c 'import os, socket, sys
a, b = socket.socketpair()
os.dup2(a.fileno(), 3)
os.set_inheritable(3, True)
os.execvp(sys.argv[1], sys.argv[1:])' "$@" ;;
    pipe) "$@" 3< <(echo data) ;;
  esac
}

refused() { # WHAT WANT-IN-ERROR ID COMMAND...
  local what=$1 want=$2 id=$3 out rc
  shift 3
  bt_track "$id"
  # to a file: on a create that succeeds, the container's init holds its stdio
  "$@" >"$BT/out" 2>&1 </dev/null
  rc=$?
  out=$(cat "$BT/out")
  echo "$what: $out"
  check "$what: fails" test "$rc" -ne 0
  check_contains "$what: names the fd" "$want" "$out"
  check_contains "$what: says why" "a way around the bottle's proxy" "$out"
  check_eq "$what: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$what: no state" bt state "$id"
  check_same "$what: nothing left" "$before" "$(settle bt_snapshot "$before")"
}

B=(nsenter --net="/run/netns/$BT_HOST" "$BOTTLE" --root "$BT_ROOT" --config "$BT_CONF")
refused "create --preserve-fds 1, a TCP socket of the host" "--preserve-fds: fd 3 is a socket of another network namespace" \
  "fds-tcp-$$" with_fd3 tcp "${B[@]}" create --preserve-fds 1 --bundle "$BT/agent" "fds-tcp-$$"
refused "run -d --preserve-fds 1, a TCP socket of the host" "--preserve-fds: fd 3 is a socket of another network namespace" \
  "fds-run-$$" with_fd3 tcp "${B[@]}" run -d --preserve-fds 1 --bundle "$BT/agent" "fds-run-$$"
refused "create --preserve-fds 1, a unix socket" "--preserve-fds: fd 3 is a unix socket" \
  "fds-unix-$$" with_fd3 unix "${B[@]}" create --preserve-fds 1 --bundle "$BT/agent" "fds-unix-$$"
refused "create with LISTEN_FDS=1, a TCP socket" "LISTEN_FDS: fd 3 is a socket of another network namespace" \
  "fds-listen-$$" with_fd3 tcp env LISTEN_FDS=1 "${B[@]}" create --bundle "$BT/agent" "fds-listen-$$"

# Accepted: a pipe, at create and at exec, and the agent sees it.
id=fds-pipe-$$
bt_track "$id"
check "create --preserve-fds 1, a pipe: accepted" \
  with_fd3 pipe "${B[@]}" create --preserve-fds 1 --bundle "$BT/agent" "$id"
check "start" bt start "$id"
check_eq "exec --preserve-fds 1, a pipe: accepted, the process reads it" data \
  "$(with_fd3 pipe "${B[@]}" exec --preserve-fds 1 "$id" sh -c 'cat <&3' 2>&1)"
out=$(with_fd3 tcp "${B[@]}" exec --preserve-fds 1 "$id" true 2>&1)
rc=$?
echo "exec with a TCP socket of the host: $out"
check "exec --preserve-fds 1, a TCP socket of the host: refused" test "$rc" -ne 0
check_contains "exec: names the fd" "--preserve-fds: fd 3 is a socket of another network namespace" "$out"
out=$(with_fd3 unix "${B[@]}" exec --preserve-fds 1 "$id" true 2>&1)
check_contains "exec --preserve-fds 1, a unix socket: refused" "--preserve-fds: fd 3 is a unix socket" "$out"
# A socket of the agent's own netns reaches nothing but the proxy: accepted.
agent_ns=$(bt_agent_netns "$id")
check_eq "exec --preserve-fds 1, a TCP socket of the agent's netns to the proxy: accepted" ok \
  "$(nsenter --net="$agent_ns" bash -c 'exec 3<>/dev/tcp/10.231.0.1/8888 && exec "$@"' _ \
    "$BOTTLE" --root "$BT_ROOT" --config "$BT_CONF" exec --preserve-fds 1 "$id" sh -c 'test -S /proc/self/fd/3 && echo ok' 2>&1)"
check "delete" bt delete --force "$id"
check_same "after delete: nothing left" "$before" "$(settle bt_snapshot "$before")"
finish

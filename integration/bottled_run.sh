#!/usr/bin/env bash
# Issue 5, bottle-run end to end against the test internet (integration/bottled.lib.sh):
# the plan, --dry-run, --profile, --allow, the y/N question, exit status, and the bottle
# itself: allowlisted host 200 through the proxy, another 403, direct TCP/ICMP/DNS fail at
# once, no DNS query from the agent (nor for a blocked name) reaches the test resolver, and
# nothing is left behind.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup run
IP=$INTERNET_IP
before=$(bt_snapshot)

# plan_id OUTPUT: the container id bottle-run chose, tracked for bt_snapshot.
plan_id() { sed -n 's/^bottle plan for \([^ :]*\).*/\1/p' <<<"$1" | head -1; }
after_run() { # WHAT OUTPUT
  local id; id=$(plan_id "$2")
  [ -n "$id" ] && bt_track "$id"
  check_same "$1: nothing left behind" "$before" "$(settle bt_snapshot "$before")"
}

# pty_run PROMPT ANSWER ARGS...: bottle-run on a pty; ANSWER ("^C" for Ctrl-C) is typed once
# PROMPT shows. Prints the output, then exit=<status>.
pty_run() {
  local prompt=$1 answer=$2
  shift 2
  python3 - "$prompt" "$answer" timeout -s KILL 60 nsenter --net="/run/netns/$BT_HOST" "$BOTTLE_RUN" \
    --root "$BT_ROOT" --config "$BT_CONF" "$@" <<'PY' 2>&1 | tr -d '\r'
import os, pty, sys
prompt, answer, argv = sys.argv[1].encode(), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, sent = b"", False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not sent and prompt in out:
        os.write(fd, b"\x03" if answer == "^C" else answer.encode() + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("exit=%d" % os.waitstatus_to_exitcode(status))
PY
}
term_run() { pty_run "[y/N]" "$@"; } # ANSWER ARGS...: ANSWER to bottle-run's question

# 1. The bottle: one agent makes every probe (agent_probe and a few more), then exits 7.
probe="$(agent_probe)
echo --- by-ip; wget -q -O- http://$IP/ 2>&1; echo \"wget-ip=\$?\"
echo --- ping; ping -c 1 -W 1 $IP 2>&1; echo \"ping=\$?\"
echo --- dns-sidecar; sip=\${HTTP_PROXY#http://}; timeout 2 nslookup agent-probe2.test \${sip%:*} 2>&1; echo \"dns-sidecar=\$?\"
exit 7"
bottled_agent "$BT/agent" sh -c "$probe"
out=$(bt_run --yes "$BT/agent" </dev/null 2>&1)
check_agent_probe "bottle-run" "$?" "$out" 7
check_contains "plan: bundle" "  bundle:   $BT/agent" "$out"
check_contains "plan: profile" "  profile:  (none)" "$out"
check_contains "plan: hosts" "  egress:   1 host allowed (example.test)" "$out"
check_contains "plan: sidecar bundle" "  sidecar:  $BT_SIDECAR" "$out"
check_contains "plan: network mode" "  network:  own uplink" "$out"
check_contains "other host: wget fails" "wget-blocked=1" "$out"
check_contains "an address not allowlisted gets 403 too" "403 Forbidden" "$(sed -n '/--- by-ip/,/wget-ip/p' <<<"$out")"
pingout=$(sed -n '/--- ping/,/ping=/p' <<<"$out")
check_fails "ICMP ping fails" grep -q "ping=0" <<<"$pingout"
check_fails "ICMP: no reply" grep -q "bytes from" <<<"$pingout"
check_fails "DNS to the sidecar's address fails" grep -q "dns-sidecar=0" <<<"$out"
check_fails "DNS to the test resolver: no answer" grep -q "Address: $IP" <<<"$(sed -n '/--- dns$/,/dns=/p' <<<"$out")"
after_run "bottle" "$out"

# 2. Exit status 0 propagates too, and stdout is the agent's.
bottled_agent "$BT/ok" sh -c 'echo agent-ran'
out=$(bt_run -y "$BT/ok" </dev/null 2>&1)
check_eq "exit 0" "0" "$?"
check_contains "agent output" "agent-ran" "$out"
after_run "exit 0" "$out"

# 3. --dry-run: the plan, then nothing (no netns, link, process, state).
out=$(bt_run --dry-run "$BT/agent" 2>&1)
check_eq "dry run succeeds" 0 "$?"
check_contains "dry run prints the plan" "  network:  own uplink" "$out"
check_contains "dry run says so" "dry run: nothing was created" "$out"
check_fails "dry run does not run the agent" grep -q wget-allowed <<<"$out"
after_run "dry run" "$out"
# The dry run asks nothing even on a terminal.
out=$(term_run y --dry-run "$BT/agent")
check_fails "dry run on a terminal does not ask" grep -q "Create this bottle" <<<"$out"
after_run "dry run on a terminal" "$out"

# 4. --profile (bottles.extra allows INTERNET_IP by address) and --allow.
bottled_agent "$BT/ip" sh -c "wget -q -O- http://$IP/ 2>&1; echo wget=\$?"
out=$(bt_run --yes --profile extra "$BT/ip" </dev/null 2>&1)
echo "$out"
check_contains "--profile: plan names it" "  profile:  extra" "$out"
check_contains "--profile: its hosts are added" "2 hosts allowed ($IP, example.test)" "$out"
check_contains "--profile: its host answers 200" "hello from the test internet
wget=0" "$out"
after_run "--profile" "$out"
out=$(bt_run --yes --allow "$IP" "$BT/ip" </dev/null 2>&1)
check_contains "--allow: plan" "2 hosts allowed ($IP, example.test)" "$out"
check_contains "--allow: the host answers 200" "wget=0" "$out"
after_run "--allow" "$out"
out=$(bt_run --yes --allow blocked.test --allow other.test "$BT/ip" </dev/null 2>&1)
check_contains "--allow is repeatable" "3 hosts allowed (blocked.test, example.test, other.test)" "$out"
check_contains "--allow: others still get 403" "403 Forbidden" "$out"
after_run "--allow twice" "$out"
out=$(bt_run --yes --profile nosuch "$BT/ip" </dev/null 2>&1)
rc=$?
echo "$out"
check_fails "unknown profile fails" test "$rc" -eq 0
check_contains "unknown profile: names it" "nosuch" "$out"
check_eq "unknown profile: one line" 1 "$(grep -c . <<<"$out")"
after_run "unknown profile" "$out"

# 5. The y/N question on a terminal: "n" creates nothing, "y" runs; --yes does not ask.
out=$(term_run n "$BT/ok")
echo "$out"
check_contains "terminal: asks" "Create this bottle? [y/N]" "$out"
check_contains "terminal: n: nothing created" "nothing was created" "$out"
check_fails "terminal: n: the agent did not run" grep -q agent-ran <<<"$out"
after_run "answered n" "$out"
out=$(term_run ^C "$BT/ok")
check_contains "terminal: Ctrl-C at the question ends bottle-run" "exit=-2" "$out"
check_fails "terminal: Ctrl-C: the agent did not run" grep -q agent-ran <<<"$out"
after_run "Ctrl-C at the question" "$out"
out=$(term_run y "$BT/ok")
check_contains "terminal: y: the agent runs" "agent-ran" "$out"
after_run "answered y" "$out"
out=$(term_run n --yes "$BT/ok")
check_fails "terminal: --yes does not ask" grep -q "Create this bottle" <<<"$out"
check_contains "terminal: --yes runs" "agent-ran" "$out"
after_run "--yes on a terminal" "$out"

# 6. Signals: SIGINT/SIGTERM to bottle-run reach the agent, its status is bottle-run's, and
# everything is removed (started with & from this script, bottle-run inherits SIGINT ignored;
# the wait loop blocks it, and a blocked signal is queued even when ignored).
bottled_agent "$BT/wait" sh -c 'trap "echo got-int; exit 130" INT; trap "echo got-term; exit 143" TERM; echo ready; sleep 600 & wait'
for sig in INT TERM; do
  nsenter --net="/run/netns/$BT_HOST" "$BOTTLE_RUN" --root "$BT_ROOT" --config "$BT_CONF" --yes \
    "$BT/wait" </dev/null >"$BT/sig.out" 2>&1 &
  pid=$!
  for _ in $(seq 200); do grep -q ready "$BT/sig.out" && break; sleep 0.05; done
  kill "-$sig" "$pid"
  ( sleep 30; kill -KILL "$pid" 2>/dev/null ) &
  guard=$!
  wait "$pid"
  rc=$?
  kill "$guard" 2>/dev/null
  out=$(cat "$BT/sig.out")
  echo "$out"
  check_contains "SIG$sig: the agent got it" "got-$(tr A-Z a-z <<<"$sig")" "$out"
  check_eq "SIG$sig: the agent's status is bottle-run's" "$([ $sig = INT ] && echo 130 || echo 143)" "$rc"
  after_run "SIG$sig" "$out"
done
# Ctrl-C on the terminal of an agent with process.terminal: the agent's foreground gets SIGINT.
cp -a "$BT/wait" "$BT/tty"
bundle_edit "$BT/tty" 'c["process"]["terminal"] = True
c["process"]["args"] = ["sh", "-c", "trap \"echo got-int; exit 130\" INT; tty; echo ready; sleep 600 & wait"]'
out=$(pty_run ready ^C --yes "$BT/tty")
echo "$out"
check_contains "terminal: the agent has a tty" "/dev/pts/" "$out"
check_contains "terminal: Ctrl-C reaches the agent" "got-int" "$out"
check_contains "terminal: its status is bottle-run's" "exit=130" "$out"
after_run "Ctrl-C" "$out"

# 7. An agent that cannot start, and a config without a sidecar bundle: an error, no leftovers.
bottled_agent "$BT/noexec" /nonexistent-agent-binary
out=$(bt_run --yes "$BT/noexec" </dev/null 2>&1)
rc=$?
echo "$out"
check "agent that cannot start: bottle-run fails" test "$rc" -ne 0
check_contains "agent that cannot start: says why" "nonexistent-agent-binary" "$out"
after_run "agent that cannot start" "$out"
bottled_config "$BT/nosidecar.json" 'del c["sidecar"]["bundle"]'
out=$(BT_CONFIG_FILE=$BT/nosidecar.json bt_run --dry-run "$BT/ok" 2>&1)
check_contains "no sidecar bundle: the dry run shows it" "  sidecar:  (not configured)" "$out"
out=$(BT_CONFIG_FILE=$BT/nosidecar.json bt_run --yes "$BT/ok" </dev/null 2>&1)
rc=$?
echo "$out"
check "no sidecar bundle: refused" test "$rc" -ne 0
check_contains "no sidecar bundle: says how to configure one" "set sidecar.bundle" "$out"
check_fails "no sidecar bundle: the agent never ran unconfined" grep -q agent-ran <<<"$out"
after_run "no sidecar bundle" "$out"

# 8. Usage errors.
out=$(bt_run --yes 2>&1)
check_contains "no bundle: usage error" "expected exactly one BUNDLE" "$out"
finish

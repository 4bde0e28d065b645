#!/usr/bin/env bash
# Issue 5 step 5, SSH from a bottled agent (runtime/bottle/bottled_ssh.h): a profile's SSH targets are
# reached through the pipelock proxy by CONNECT with the bottle-connect helper the runtime
# bind-mounts at /.bottle/bottle-connect, whatever the image holds. Against the test internet:
# a line-speaking "SSH" service on INTERNET_IP:22, targets by name (example.test, allowlisted
# only by being an SSH target) and by IPv4 literal; a host that is no target gets the proxy's
# 403 reason on stderr; GIT_SSH_COMMAND (agent and exec) works as git runs it; the ssh config
# snippet appears only in an image with /etc/ssh/ssh_config.d; the helper is read-only; a real
# OpenSSH client gets through the double's SNI peek; no helper = a warning and a working
# bottle; bottle-run --profile shows the targets in its plan and its agent gets through; nothing
# is left behind.
. "$(dirname "$0")/bottled.lib.sh"
HELPER=$BUILD/bottle-connect
[ -x "$HELPER" ] || skip "bottle-connect not built ($HELPER)"
command -v socat >/dev/null || skip "needs socat"
bottled_setup ssh
IP=$INTERNET_IP
export BOTTLE_CONNECT_HELPER=$HELPER

# The "SSH" service: reads the client's first line (an SSH client speaks first, which is what
# pipelock's SNI peek waits for), answers with a banner that quotes it, and logs it.
SSHD_LOG=$BT/sshd.log
: >"$SSHD_LOG"
printf '#!/bin/sh\nread -r l\nprintf "SSH-2.0-testd got: %%s\\n" "$l"\nprintf "%%s\\n" "$l" >>"%s"\n' \
  "$SSHD_LOG" >"$BT/sshd.sh"
chmod +x "$BT/sshd.sh"
nsenter --net="/run/netns/$INTERNET_NS" socat "TCP-LISTEN:22,bind=$IP,reuseaddr,fork" "EXEC:$BT/sshd.sh" &
SSHD_PID=$!
trap 'kill $SSHD_PID 2>/dev/null; wait $SSHD_PID 2>/dev/null; bottled_cleanup' EXIT
for _ in $(seq 1 100); do
  internet_ns_exec ss -Hltn 2>/dev/null | grep -qF "$IP:22" && break
  sleep 0.05
done

# Profile "git": example.test is allowed only as an SSH target (the default list is emptied).
bottled_config "$BT/ssh.json" "
c['egress']['default_allowlist'] = []
c['bottles']['git'] = {'ssh': [
  {'Host': 'forge', 'Hostname': 'example.test', 'Port': 22, 'User': 'git'},
  {'Host': 'forgeip', 'Hostname': '$IP', 'Port': 22}]}
c['trust'] = {'annotations': {'profiles': ['git']}}"
BT_CONFIG_FILE=$BT/ssh.json
before=$(bt_snapshot)
A=ssh-a-$$ B=ssh-b-$$ C=ssh-c-$$ D=ssh-d-$$
bt_track "$A" "$B" "$C" "$D"

agent_cmd='env > /tmp/agent-env; exec sleep 600'
bottled_agent "$BT/with" sh -c "$agent_cmd"
mkdir -p "$BT/with/rootfs/etc/ssh/ssh_config.d"
bundle_edit "$BT/with" 'c["annotations"] = {"bottle.profile": "git"}'
bottled_agent "$BT/without" sh -c "$agent_cmd"
bundle_edit "$BT/without" 'c["annotations"] = {"bottle.profile": "git"}; c["root"]["readonly"] = True'
bottled_agent "$BT/plainagent" sh -c "$agent_cmd"
bottled_agent "$BT/with2" sh -c "$agent_cmd"
mkdir -p "$BT/with2/rootfs/etc/ssh/ssh_config.d"
bundle_edit "$BT/with2" 'c["annotations"] = {"bottle.profile": "git"}'

check "create A (image with ssh_config.d)" bt create --bundle "$BT/with" "$A"
check "start A" bt start "$A"
sip=$(python3 -c "import json; print(json.load(open('$BT_ROOT/.bottle/$A/record.json'))['sidecar_ip'])")

# 1. The helper relays a line both ways, by name and by address (BOTTLE_PROXY from the env).
out=$(bt exec "$A" sh -c 'echo hello-by-name | /.bottle/bottle-connect example.test 22; echo "rc=$?"' 2>&1)
echo "$out"
check_contains "by name: the service's answer comes back" "SSH-2.0-testd got: hello-by-name
rc=0" "$out"
check "by name: the service got the client's line" grep -qx "hello-by-name" "$SSHD_LOG"
out=$(bt exec "$A" sh -c "echo hello-by-ip | /.bottle/bottle-connect $IP 22; echo rc=\$?" 2>&1)
echo "$out"
check_contains "by IPv4 literal: the answer comes back" "SSH-2.0-testd got: hello-by-ip
rc=0" "$out"
check_contains "the sidecar logged the tunnels" "\"target\":\"example.test:22\"" "$(bt logs --json "$A" 2>&1)"

# 2. A host that is no SSH target: the proxy's reason on stderr, exit 1, nothing reaches it.
out=$(bt exec "$A" sh -c 'echo x | /.bottle/bottle-connect blocked.test 22 2>&1 >/dev/null; echo "rc=$?"' 2>&1)
echo "$out"
check_contains "blocked: status line" "the proxy refused the tunnel: HTTP/1.1 403" "$out"
check_contains "blocked: pipelock's reason" "CONNECT blocked: domain not in allowlist: blocked.test" "$out"
check_contains "blocked: exit 1" "rc=1" "$out"
check_fails "blocked: the service saw nothing" grep -qx x "$SSHD_LOG"
out=$(bt exec "$A" sh -c '/.bottle/bottle-connect example.test 2>&1; echo "rc=$?"' 2>&1)
check_contains "usage error names the arguments" "usage: bottle-connect [-p PROXY] HOST PORT" "$out"

# 3. GIT_SSH_COMMAND, in the agent's env and in exec's, run the way git does: sh -c "$GIT_SSH_COMMAND ARGS".
agent_env=$(bt exec "$A" cat /tmp/agent-env 2>&1)
check_contains "agent env: GIT_SSH_COMMAND" "GIT_SSH_COMMAND=ssh -o ProxyCommand='/.bottle/bottle-connect -p $sip:8888 %h %p'" "$agent_env"
check_contains "agent env: BOTTLE_PROXY" "BOTTLE_PROXY=$sip:8888" "$agent_env"
# A stand-in ssh that does what OpenSSH does with -o ProxyCommand=...: %h/%p substituted, run by sh.
fake_ssh='#!/bin/sh
pc=; while [ $# -gt 0 ]; do case $1 in -o) pc=${2#ProxyCommand=}; shift 2;; -p) port=$2; shift 2;; *) host=${1#*@}; shift; break;; esac; done
pc=$(echo "$pc" | sed "s/%h/$host/; s/%p/${port:-22}/"); exec sh -c "$pc"'
out=$(bt exec "$A" sh -c "printf '%s\n' '$fake_ssh' >/tmp/ssh; chmod +x /tmp/ssh; PATH=/tmp:\$PATH
  echo via-git-ssh-command | sh -c \"\$GIT_SSH_COMMAND git@example.test git-upload-pack repo\"; echo rc=\$?" 2>&1)
echo "$out"
check_contains "exec: GIT_SSH_COMMAND reaches the target through the proxy" "SSH-2.0-testd got: via-git-ssh-command
rc=0" "$out"

# 4. The ssh config snippet: Host alias and HostName, Port, User, ProxyCommand; read-only mounts.
conf=$(bt exec "$A" cat /etc/ssh/ssh_config.d/bottle.conf 2>&1)
echo "$conf"
check_contains "snippet: forge" "Host forge example.test
  HostName example.test
  Port 22
  User git
  ProxyCommand /.bottle/bottle-connect -p $sip:8888 %h %p" "$conf"
check_contains "snippet: forgeip (no User)" "Host forgeip $IP
  HostName $IP
  Port 22
  ProxyCommand /.bottle/bottle-connect -p $sip:8888 %h %p" "$conf"
out=$(bt exec "$A" sh -c 'echo x >/.bottle/bottle-connect; echo "rc=$?"; echo x >/etc/ssh/ssh_config.d/bottle.conf; echo "rc=$?"' 2>&1)
check_contains "helper is read-only in the agent" "Read-only file system
rc=1" "$out"
check_eq "both mounts read-only" 2 "$(grep -c 'Read-only file system' <<<"$out")"
check_fails "the bundle's rootfs holds no helper copy" test -s "$BT/with/rootfs/.bottle/bottle-connect"

# 5. A real OpenSSH client (the host's, in the agent's netns) speaks first and passes the SNI peek.
if command -v ssh >/dev/null; then
  agent_ns=$(bt_agent_netns "$A")
  out=$(timeout 20 nsenter --net="$agent_ns" ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=10 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ProxyCommand="$HELPER -p $sip:8888 %h %p" git@example.test true 2>&1)
  echo "$out"
  check "OpenSSH's banner reached the service through the proxy" grep -q "^SSH-2.0-OpenSSH" "$SSHD_LOG"
else
  echo "# no ssh client on the host: the OpenSSH check is left out"
fi

# 6. An image without /etc/ssh/ssh_config.d (and a read-only root): GIT_SSH_COMMAND only.
check "create B (no ssh_config.d, read-only root)" bt create --bundle "$BT/without" "$B"
check "start B" bt start "$B"
out=$(bt exec "$B" sh -c 'echo hello-b | sh -c "$(echo "${GIT_SSH_COMMAND#*ProxyCommand=}" | tr -d "'"'"'" | sed "s/%h/example.test/; s/%p/22/")"; echo "rc=$?"; ls /etc/ssh 2>&1' 2>&1)
echo "$out"
check_contains "B: the helper works" "SSH-2.0-testd got: hello-b
rc=0" "$out"
check_contains "B: no ssh config created" "No such file or directory" "$out"

# 7. No SSH targets: no helper, no GIT_SSH_COMMAND.
BT_CONFIG_FILE=$BT_CONF
check "create C (no profile, the default allowlist)" bt create --bundle "$BT/plainagent" "$C"
check "start C" bt start "$C"
out=$(bt exec "$C" sh -c 'cat /tmp/agent-env; ls /.bottle 2>&1' 2>&1)
check_fails "C: no GIT_SSH_COMMAND" grep -q GIT_SSH_COMMAND <<<"$out"
check_contains "C: no /.bottle" "No such file or directory" "$out"

# 8. The helper missing: create works, warns, and the agent has no ssh setup.
BT_CONFIG_FILE=$BT/ssh.json
# (into a file: the agent inherits create's stdio, so a $(...) would wait for the agent)
BOTTLE_CONNECT_HELPER=$BT/no-such-helper bt create --bundle "$BT/with2" "$D" >"$BT/d.out" 2>&1
rc=$?
out=$(cat "$BT/d.out")
echo "$out"
check_eq "D: create without the helper succeeds" 0 "$rc"
check_contains "D: the warning names the helper and the fix" "cannot read the ssh proxy helper $BT/no-such-helper" "$out"
check "start D" bt start "$D"
out=$(bt exec "$D" sh -c 'cat /tmp/agent-env; ls /.bottle/bottle-connect 2>&1' 2>&1)
check_fails "D: no GIT_SSH_COMMAND" grep -q GIT_SSH_COMMAND <<<"$out"
check_contains "D: proxy env still there" "HTTPS_PROXY=http://" "$out"

# 9. bottle-run --profile: the plan lists the targets, and the agent's ssh path works.
BT_CONFIG_FILE=$BT/ssh.json
bottled_agent "$BT/runagent" sh -c 'echo via-bottle-run | /.bottle/bottle-connect example.test 22'
out=$(bt_run --yes --profile git "$BT/runagent" </dev/null 2>&1)
rc=$?
echo "$out"
check_eq "bottle-run: exit 0" 0 "$rc"
check_contains "bottle-run plan: ssh target" "  ssh:      forge (example.test:22) through the proxy" "$out"
check_contains "bottle-run: the agent reached the target" "SSH-2.0-testd got: via-bottle-run" "$out"
run_id=$(sed -n 's/^bottle plan for \([^ :]*\).*/\1/p' <<<"$out" | head -1)
[ -n "$run_id" ] && bt_track "$run_id"

for id in "$A" "$B" "$C" "$D"; do
  bt kill "$id" KILL >/dev/null 2>&1
  check "delete $id" bt delete --force "$id"
done
check_same "nothing left behind" "$before" "$(settle bt_snapshot "$before")"
finish

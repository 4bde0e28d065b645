#!/usr/bin/env bash
# Issue 13: the allowlist of a running bottle. `bottle policy ID` lists each allowed host with
# where it came from; `bottle policy ID --allow HOST` makes a host the proxy answered 403 answer
# 200, with the agent untouched (same init pid), and `--deny HOST` brings the 403 back. The
# change replaces the sidecar's /etc/pipelock.yaml (pipelock reloads it: the double logs a
# config_reload line for the SIGHUP and one for the rename it watches for), is kept in the
# bottle's state (.bottle/ID/policy.json, which the next change and `bottle policy ID` read) and
# leaves an audit line that `bottle logs` shows. A bad host, a deny of a host not listed, or a
# mix with one bad host changes nothing (the YAML byte for byte, the state); a plain container
# is refused in one line.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup policy
before=$(bt_snapshot)
A=pol-a-$$ P=pol-p-$$ M=pol-m-$$
bt_track "$A" "$P" "$M"
bottled_agent "$BT/agent" sleep 600
bottled_agent "$BT/plain" sleep 600
bottled_config "$BT/plain.json" 'c["mode"] = "plain"'

check "create" bt create --bundle "$BT/agent" "$A"
check "start" bt start "$A"
pid=$(bt_init_pid "$A")
yaml=$BT_ROOT/.bottle/$A/fs/merged/etc/pipelock.yaml
state=$BT_ROOT/.bottle/$A/policy.json
log=$BT_ROOT/.bottle/$A/sidecar.log

status() {
  bt exec "$A" wget -S -q -O /dev/null "http://$INTERNET_IP/" 2>&1 | awk '/HTTP\/1/ {print $2; exit}'
}
reloads() { grep -c '"event":"config_reload"' "$log"; }
# Both reloads of one change (SIGHUP, then the watched rename 100 ms later) have happened.
want_reloads=0
reloaded() { [ "$(reloads)" -ge "$want_reloads" ] && echo reloaded; }
wait_reloads() {
  want_reloads=$1
  settle reloaded reloaded >/dev/null
}
fingerprint() { { sha256sum "$yaml"; stat -c '%u:%g %a' "$yaml"; cat "$state" 2>/dev/null; } 2>&1; }

out=$(bt policy "$A")
echo "$out"
check_contains "policy: the default host and its origin" "example.test" "$out"
check_eq "policy: example.test comes from the default list" "default" \
  "$(awk '$1 == "example.test" {print $2}' <<<"$out")"
check_eq "the test internet's address is not allowed: 403" 403 "$(status)"

# Refusals change nothing.
orig=$(fingerprint)
n=$(reloads)
for bad in "http://$INTERNET_IP/" "bad host" "*.com"; do
  out=$(bt policy "$A" --allow "$bad" 2>&1)
  rc=$?
  echo "$out"
  check_fails "--allow '$bad' is refused" test "$rc" = 0
  check_eq "--allow '$bad': one line" 1 "$(wc -l <<<"$out")"
  # runc's log format escapes the quotes around it
  check_contains "--allow '$bad': names the host" "\\\"$bad\\\"" "$out"
done
out=$(bt policy "$A" --allow new.example --allow "a b" 2>&1)
check_contains "one bad host among good ones: nothing was changed" "nothing was changed" "$out"
out=$(bt policy "$A" --deny nowhere.example 2>&1)
check_contains "--deny of a host not listed is refused" "not in the allowlist" "$out"
out=$(bt policy "$A" --deny example.test 2>&1)
check_contains "--deny of the last host is refused" "last allowed host" "$out"
check_eq "after the refusals: YAML (bytes, owner, mode) and state unchanged" "$orig" "$(fingerprint)"
check_eq "after the refusals: no reload" "$n" "$(reloads)"
check_eq "the address still gets 403" 403 "$(status)"

# Allow: 200, same agent.
check "policy --allow the address" bt policy "$A" --allow "$INTERNET_IP"
wait_reloads $((n + 2))
check_eq "pipelock reloaded twice (SIGHUP, the rename)" $((n + 2)) "$(reloads)"
check_eq "the address now gets 200" 200 "$(status)"
check_eq "the agent is the same process" "$pid" "$(bt_init_pid "$A")"
check "the agent's init still runs" kill -0 "$pid"
check_contains "the YAML lists it" "- \"$INTERNET_IP\"" "$(cat "$yaml")"
check_eq "the YAML is still pipelock's: 0600, the sidecar's uid" "2147483000:2147483000 600" \
  "$(stat -c '%u:%g %a' "$yaml")"
check_contains "the state keeps it" "\"$INTERNET_IP\"" "$(cat "$state" 2>&1)"
out=$(bt policy "$A")
echo "$out"
check_eq "policy: the address comes from bottle policy --allow" "bottle policy --allow" \
  "$(awk -v h="$INTERNET_IP" '$1 == h {$1 = ""; sub(/^ /, ""); print}' <<<"$out")"
check_eq "policy: example.test still from the default list" "default" \
  "$(awk '$1 == "example.test" {print $2}' <<<"$out")"
logs=$(bt logs "$A")
echo "$logs"
check_contains "bottle logs: the audit line" "policy_change allow=$INTERNET_IP deny= by=uid 0" "$logs"

# A second change builds on the first (the state, not the create-time policy).
n=$(reloads)
check "policy --allow a second host" bt policy "$A" --allow second.example
wait_reloads $((n + 2))
out=$(bt policy "$A")
check_contains "both changes are kept" "$INTERNET_IP" "$out"
check_contains "both changes are kept (second)" "second.example" "$out"

# Deny: the 403 is back, the YAML is the original again once both are gone.
n=$(reloads)
check "policy --deny both" bt policy "$A" --deny "$INTERNET_IP" -d second.example
wait_reloads $((n + 2))
check_eq "the address gets 403 again" 403 "$(status)"
check_eq "the agent is still the same process" "$pid" "$(bt_init_pid "$A")"
check_eq "the YAML is the original, byte for byte" "$(head -1 <<<"$orig")" \
  "$(sha256sum "$yaml" 2>&1)"
check_contains "bottle logs: the deny's audit line" \
  "policy_change allow= deny=$INTERNET_IP,second.example by=uid 0" "$(bt logs "$A")"

# A container that joined the bottle (docker --network container:A) changes the bottle's.
bottled_agent "$BT/member" sleep 600
bundle_edit "$BT/member" "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network': ns['path'] = '/proc/$pid/ns/net'"
check "a member joins the bottle" bt create --bundle "$BT/member" "$M"
n=$(reloads)
check "policy --allow through the member's id" bt policy "$M" --allow member.example
wait_reloads $((n + 2))
check_contains "the member's id shows the bottle's policy" "$M is in the bottle of $A" "$(bt policy "$M")"
check_contains "the bottle's own list has the host" "member.example" "$(bt policy "$A")"
check_contains "the bottle's YAML has it" '- "member.example"' "$(cat "$yaml")"
check "policy --deny through the member's id" bt policy "$M" --deny member.example
check "delete the member" bt delete --force "$M"

# A plain container has no policy to change.
BT_CONFIG_FILE=$BT/plain.json
check "create a plain container" bt create --bundle "$BT/plain" "$P"
out=$(bt policy "$P" --allow example.org 2>&1)
rc=$?
echo "$out"
check_fails "policy on a plain container fails" test "$rc" = 0
check_eq "plain: one line" 1 "$(wc -l <<<"$out")"
check_contains "plain: says why" "is not bottled" "$out"
check "delete the plain container" bt delete --force "$P"
export BT_CONFIG_FILE=
out=$(bt policy "no-such-$$" 2>&1)
check_fails "an unknown id fails" test $? = 0

check "delete" bt delete --force "$A"
check_eq "nothing left" "$before" "$(settle bt_snapshot "$before")"
finish

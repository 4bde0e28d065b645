#!/usr/bin/env bash
# Issue 9, item 3 (bottle create / run): a bottled agent without a pid namespace of its own
# (no pid entry in linux.namespaces: the host's; a pid entry with a path: another's) could see
# its sidecar and, as root, write the proxy's memory through /proc/<pid>/mem. create and run
# refuse it in one line naming linux.namespaces, before anything is made; a bundle with its own
# pid namespace is created as before. The Docker side (--pid host, --pid container:X) is
# integration/docker_bottled_pidns.sh.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup pidns
bottled_agent "$BT/agent" sleep 600
before=$(bt_snapshot)

refused() { # WHAT WANT ID VERB...
  local what=$1 want=$2 id=$3 out
  shift 3
  bt_track "$id"
  # to a file: on a create that succeeds, the container's init holds its stdio
  if bt "$@" --bundle "$BT/agent" "$id" >"$BT/out" 2>&1 </dev/null; then
    fail "$what: refused"
  else
    ok "$what: refused"
  fi
  out=$(cat "$BT/out")
  echo "$what: $out"
  for w in "linux.namespaces: " "$want" "own pid namespace"; do
    check_contains "$what: the error names the field, why and the fix ($w)" "$w" "$out"
  done
  check_eq "$what: one line" 1 "$(grep -c . <<<"$out")"
  check_fails "$what: no state" bt state "$id"
  check_same "$what: nothing left" "$before" "$(settle bt_snapshot "$before")"
}

bundle_edit "$BT/agent" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
refused "no pid namespace (host's), create" "shares the host's" "pid-host-$$" create
refused "no pid namespace (host's), run" "shares the host's" "pid-host-run-$$" run -d

bundle_edit "$BT/agent" "c['linux']['namespaces'].append({'type': 'pid', 'path': '/proc/$$/ns/pid'})"
refused "pid path of the host's namespace" "joins the host's pid namespace" "pid-init-$$" create

# Another process's pid namespace, as docker --pid container:X gives it.
unshare --pid --fork --kill-child sleep 600 >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
  child=$(pgrep -P "$holder" sleep) && break
  sleep 0.1
done
bundle_edit "$BT/agent" "c['linux']['namespaces'][-1]['path'] = '/proc/$child/ns/pid'"
refused "pid path of another namespace" "joins another pid namespace" "pid-other-$$" create
kill -KILL "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# Control: the agent's own pid namespace.
bundle_edit "$BT/agent" 'c["linux"]["namespaces"][-1] = {"type": "pid"}'
id=pid-own-$$
bt_track "$id"
check "own pid namespace: create" bt create --bundle "$BT/agent" "$id"
check "own pid namespace: delete" bt delete --force "$id"
check_same "own pid namespace: nothing left" "$before" "$(settle bt_snapshot "$before")"
finish

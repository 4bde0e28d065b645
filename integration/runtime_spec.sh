#!/usr/bin/env bash
# The config.json features the runtime core applies itself (runc-cli.md §6.7,
# §9.1, §9.3): hostname/domainname, sysctl, rlimits, oomScoreAdj, user,
# additionalGids, umask, cwd, env/HOME, capabilities and no_new_privs seen in
# /proc/self/status, joining a namespace by path, user namespaces with
# mappings, signal dispositions reset, plus pause/resume/update/events.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"

T=$(mktemp -d /tmp/bottle-sp.XXXXXX)
# These tests drive plain OCI containers; bottled mode has its own tests.
printf '{"mode": "plain"}\n' >"$T/bottle-config.json"
export BOTTLE_CONFIG=$T/bottle-config.json
chmod 755 "$T" # the user-namespace test runs as an unprivileged host uid
ROOT=$T/root
ID=sp$$
cleanup() {
  for id in $("$BOTTLE" --root "$ROOT" list -q 2>/dev/null); do "$BOTTLE" --root "$ROOT" delete -f "$id"; done
  [ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
B() { "$BOTTLE" --root "$ROOT" --log "$T/log.json" --log-format json "$@"; }
status_of() { B state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }

make_bundle "$T/a" sh -c '
  echo host=$(hostname) dom=$(cat /proc/sys/kernel/domainname)
  echo ping=$(cat /proc/sys/net/ipv4/ping_group_range | tr "\t" " ")
  echo nofile=$(ulimit -n) core=$(ulimit -c)
  echo oom=$(cat /proc/self/oom_score_adj)
  echo id=$(id)
  echo umask=$(umask)
  echo cwd=$(pwd)
  echo home=$HOME foo=$FOO
  grep -E "^(CapBnd|CapEff|CapPrm|CapAmb|CapInh|NoNewPrivs|SigIgn|SigBlk):" /proc/self/status | tr "\t" " "
  echo lo=$(cat /sys/class/net/lo/operstate)
  touch /rootfile 2>/dev/null && echo root=rw || echo root=ro
  cat /proc/kcore >/dev/null 2>&1 && echo kcore=readable || echo kcore=masked
  echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo procsys=rw || echo procsys=ro'
bundle_edit "$T/a" '
p = c["process"]
p["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534], "umask": 63}
p["cwd"] = "/home/user"
p["env"].append("FOO=bar")
p["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 777, "soft": 555}, {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}]
p["oomScoreAdj"] = 123
p["noNewPrivileges"] = True
caps = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
p["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps, "ambient": caps}
c["domainname"] = "example.test"
c["linux"]["sysctl"] = {"net.ipv4.ping_group_range": "0 2147483647"}
c["root"]["readonly"] = True
'
out=$(B run -b "$T/a" "$ID" 2>&1)

check_contains "hostname" "host=bottle-test" "$out"
check_contains "domainname" "dom=example.test" "$out"
check_contains "sysctl written in the container's netns" "ping=0 2147483647" "$out"
check_contains "rlimits" "nofile=555 core=0" "$out"
check_contains "oomScoreAdj" "oom=123" "$out"
check_contains "user, gid and additionalGids" "id=uid=1000(user) gid=1000(user) groups=5(tty),65534(nogroup)" "$out"
check_contains "umask" "umask=0077" "$out"
check_contains "cwd" "cwd=/home/user" "$out"
check_contains "HOME from /etc/passwd, env kept" "home=/home/user foo=bar" "$out"
check_contains "bounding set (KILL=5, NET_BIND_SERVICE=10)" "CapBnd: 0000000000000420" "$out"
check_contains "effective set for a non-root user via ambient" "CapEff: 0000000000000420" "$out"
check_contains "ambient set" "CapAmb: 0000000000000420" "$out"
check_contains "no_new_privs" "NoNewPrivs: 1" "$out"
check_contains "no ignored signals inherited" "SigIgn: 0000000000000000" "$out"
check_contains "no blocked signals inherited" "SigBlk: 0000000000000000" "$out"
check_contains "lo is up in a new netns" "lo=unknown" "$out"
check_contains "readonly root" "root=ro" "$out"
check_contains "masked path" "kcore=masked" "$out"
check_contains "readonly /proc/sys" "procsys=ro" "$out"
# The runtime ignores SIGINT/SIGPIPE itself; the container must not inherit that.
out=$(trap '' INT; B run -b "$T/a" "$ID" 2>&1 | grep SigIgn)
check_contains "SIG_IGN from the caller is reset" "SigIgn: 0000000000000000" "$out"

# cwd that does not exist
make_bundle "$T/c" true
bundle_edit "$T/c" 'c["process"]["cwd"]="/does/not/exist"'
out=$(B run -b "$T/c" "$ID" 2>&1)
check_contains "missing cwd fails create with the path" "/does/not/exist" "$out"
check_contains "missing cwd says no such file or directory" "no such file or directory" "$out"

# joining a network namespace by path; kill --all without a private pid ns
unshare --net sleep 300 & HOLDER=$!
sleep 0.2
make_bundle "$T/j" sh -c 'readlink /proc/self/ns/net; sleep 100'
bundle_edit "$T/j" "
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('network', 'pid')]
c['linux']['namespaces'].append({'type': 'network', 'path': '/proc/$HOLDER/ns/net'})
"
B create -b "$T/j" --pid-file "$T/j.pid" "$ID" >"$T/j.out" 2>&1 </dev/null
check "create joining a netns by path, no pid ns" test -s "$T/j.pid"
B start "$ID"
sleep 0.2
check_eq "container is in the joined netns" "$(readlink /proc/$HOLDER/ns/net)" "$(head -1 "$T/j.out")"
check_eq "no private pid ns: pid is the host pid" "$(readlink /proc/self/ns/pid)" "$(readlink /proc/$(cat "$T/j.pid")/ns/pid)"
B exec -d "$ID" sleep 200
check_eq "two processes in the cgroup" 2 "$(B ps --format json "$ID" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
check "kill --all" B kill --all "$ID" 9
for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.05; done
check_eq "kill --all stopped it" stopped "$(status_of "$ID")"
check "delete" B delete "$ID"

# user namespace with mappings
make_bundle "$T/u" sh -c 'id; cat /proc/self/uid_map /proc/self/gid_map | tr -s " " | tr "\n" "|"; echo; stat -c %U /bin/busybox'
bundle_edit "$T/u" '
c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
'
out=$(B run -b "$T/u" "$ID" 2>&1)
check_contains "userns: root inside" "uid=0(root) gid=0(root)" "$out"
check_contains "userns: mappings written by the parent" " 0 200000 65536| 0 200000 65536|" "$out"
check_contains "userns: host-root files are unmapped" "nobody" "$out"
B create -b "$T/u" --pid-file "$T/u.pid" "$ID" </dev/null >/dev/null
check_eq "userns: init runs as host uid 200000" 200000 "$(awk '/^Uid:/{print $2}' /proc/$(cat "$T/u.pid")/status)"
check_eq "userns: exec joins the user namespace" "uid=0(root) gid=0(root)" "$(B exec "$ID" id)"
B delete -f "$ID"

# a new user namespace together with a network namespace joined by path
make_bundle "$T/un" sh -c 'readlink /proc/self/ns/net; id -u'
bundle_edit "$T/un" "
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network']
c['linux']['namespaces'] += [{'type': 'user'}, {'type': 'network', 'path': '/proc/$HOLDER/ns/net'}]
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['mounts'] = [m for m in c['mounts'] if m['type'] != 'sysfs']
"
out=$(B run -b "$T/un" "$ID" 2>&1)
check_eq "userns + joined netns" "$(readlink /proc/$HOLDER/ns/net) 0" "$(echo $out)"
check_eq "the runtime is back in its own netns" "$(readlink /proc/self/ns/net)" "$(readlink /proc/$$/ns/net)"
bundle_edit "$T/un" "c['process']['args'] = ['sleep', '100']"
B create -b "$T/un" "$ID" </dev/null >/dev/null 2>&1
out=$(B exec "$ID" sh -c 'readlink /proc/self/ns/net; id -u' 2>&1)
check_eq "exec into userns + joined netns" "$(readlink /proc/$HOLDER/ns/net) 0" "$(echo $out)"
B delete -f "$ID"

# pause / resume / update / events
make_bundle "$T/p" sleep 100
bundle_edit "$T/p" 'c["linux"]["resources"]["pids"]={"limit":100}; c["linux"]["resources"]["memory"]={"limit":104857600}'
B run -d -b "$T/p" "$ID" </dev/null >/dev/null 2>&1
check "pause" B pause "$ID"
check_eq "state says paused" paused "$(status_of "$ID")"
out=$(B pause "$ID" 2>&1)
check_contains "pause when paused" "container not running" "$out"
out=$(B exec "$ID" true 2>&1)
check_contains "exec refused while paused" "cannot exec in a paused container" "$out"
check "resume" B resume "$ID"
check_eq "state says running" running "$(status_of "$ID")"
out=$(B resume "$ID" 2>&1)
check_contains "resume when running" "container not paused" "$out"
pids_max() { cat "/sys/fs/cgroup/pids$(bundle_cgroup "$T/p")/pids.max" 2>/dev/null || cat "/sys/fs/cgroup/unified$(bundle_cgroup "$T/p")/pids.max"; }
mem_max() { cat "/sys/fs/cgroup/memory$(bundle_cgroup "$T/p")/memory.limit_in_bytes" 2>/dev/null; }
check_eq "pids limit applied at create" 100 "$(pids_max)"
echo '{"blockIO":{"weight":0},"cpu":{"shares":0,"quota":0,"period":0},"memory":{"limit":209715200,"reservation":0,"kernel":0}}' | B update --resources - "$ID"
check_eq "update: docker's zero-filled JSON changes only the memory limit" "209715200 100" "$(mem_max) $(pids_max)"
echo '{"memory":{"limit":0},"pids":{"limit":-1}}' | B update --resources=- "$ID"
check_eq "update: zero leaves memory, -1 makes pids max" "209715200 max" "$(mem_max) $(pids_max)"
check "update with flags" B update --pids-limit 50 --memory 300m "$ID"
check_eq "update flags applied" "314572800 50" "$(mem_max) $(pids_max)"
check "events --stats is one JSON stats object" python3 -c 'import json,sys; o=json.loads(sys.argv[1]); assert o["type"]=="stats" and o["id"]==sys.argv[2] and "memory" in o["data"]' "$(B events --stats "$ID")" "$ID"
B kill "$ID" 9
for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.05; done
out=$(B events --stats "$ID" 2>&1)
check_contains "events on stopped" "is not running" "$out"
check "delete" B delete "$ID"

# kill of a paused container thaws it so it dies
B run -d -b "$T/p" "$ID" </dev/null >/dev/null 2>&1
B pause "$ID"
check "kill 9 a paused container" B kill "$ID" 9
for _ in $(seq 100); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.05; done
check_eq "paused container died after SIGKILL" stopped "$(status_of "$ID")"
check "delete" B delete "$ID"
finish

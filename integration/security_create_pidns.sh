#!/usr/bin/env bash
# Issue 9, item 1, the create side under bottle itself: a container whose config joins another
# container's pid namespace by path is built outside it and enters it only after pivot_root.
# The holder runs the CAP_SYS_PTRACE watcher (integration/exec-window-watcher.c) while bundles
# joining its pid namespace are run in a loop: none may show it the host's root, cwd or a host
# directory fd (before the fix, the first run did). Then what a joined pid namespace must still
# give: the holder's processes in /proc, /proc/self, a joined user namespace that owns the pid
# namespace (the pod case), and a proc mount's own pidns= option refused with one line.
# security_exec_window.sh does the same under docker (--pid container:X).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=tests/bundle.lib.sh
. "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
command -v gcc >/dev/null || skip "needs gcc (static watcher)"
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
RUNS=${CREATE_PIDNS_RUNS:-20}

T=$(mktemp -d /tmp/bottle-cpn.XXXXXX)
chmod 755 "$T"
bottle_plain_mode "$T"
MARK=bottle-create-window-$$
HOLDERS=()
cleanup() {
  local id
  for id in $("$BOTTLE" --root "$T/root" list -q 2>/dev/null); do
    "$BOTTLE" --root "$T/root" delete -f "$id" >/dev/null 2>&1
  done
  # SIGKILL: a pid namespace's init ignores SIGTERM from outside
  [ ${#HOLDERS[@]} -gt 0 ] && kill -9 "${HOLDERS[@]}" 2>/dev/null
  rm -f "/$MARK"
  rm -rf "$T"
}
trap cleanup EXIT
B() { "$BOTTLE" --root "$T/root" "$@"; }
gcc -static -O2 -o "$T/watcher" "$BOTTLE_TOP/integration/exec-window-watcher.c" ||
  skip "gcc -static failed (static libc missing?)"
: >"/$MARK"

# The holder: the watcher as its init, with CAP_SYS_PTRACE (the default bundle has no
# seccomp profile, so ptrace-mode /proc access is up to the capability alone).
make_bundle "$T/holder" /bin/watcher "$MARK" /tmp/stop
cp "$T/watcher" "$T/holder/rootfs/bin/watcher"
bundle_edit "$T/holder" "
for k in ('bounding', 'effective', 'permitted'):
    c['process']['capabilities'][k].append('CAP_SYS_PTRACE')
"
B run -d -b "$T/holder" --pid-file "$T/holder.pid" h$$ </dev/null >"$T/holder.log" 2>&1
HP=$(cat "$T/holder.pid" 2>/dev/null)
check "the watcher's container runs" test -n "$HP"
for _ in $(seq 100); do grep -q ready "$T/holder.log" && break; sleep 0.05; done
check_contains "the watcher watches" ready "$(cat "$T/holder.log")"

make_bundle "$T/j" sleep 0.1 # long enough for the watcher to look at most
bundle_edit "$T/j" "
ns = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']
c['linux']['namespaces'] = ns + [{'type': 'pid', 'path': '/proc/$HP/ns/pid'}]
"
n=0
for ((i = 0; i < RUNS; i++)); do
  B run -b "$T/j" j$$ </dev/null >/dev/null 2>&1
  n=$((n + 1))
  kill -0 "$HP" 2>/dev/null || break
done
echo "# $n runs joining the watcher's pid namespace"
: >"$T/holder/rootfs/tmp/stop"
for _ in $(seq 200); do kill -0 "$HP" 2>/dev/null || break; sleep 0.05; done
out=$(cat "$T/holder.log")
while IFS= read -r line; do echo "# watcher: $line"; done <<<"$out"
check_fails "no process joining the pid namespace showed the watcher the host's root" \
  grep -q ESCAPE <<<"$out"
seen=$(sed -n 's/^seen \([0-9]*\)$/\1/p' <<<"$out")
check "the watcher opened the root of at least half of the $RUNS runs (saw ${seen:-none})" \
  test "${seen:-0}" -ge $((RUNS / 2))
B delete -f h$$ >/dev/null 2>&1

# It still is a joined pid namespace: the holder's process is pid 1, /proc/self is ours.
make_bundle "$T/h2" sleep 600
B run -d -b "$T/h2" --pid-file "$T/h2.pid" h2$$ </dev/null >/dev/null 2>&1
HP=$(cat "$T/h2.pid")
bundle_edit "$T/j" "
ns = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']
c['linux']['namespaces'] = ns + [{'type': 'pid', 'path': '/proc/$HP/ns/pid'}]
c['process']['args'] = ['sh', '-c', 'cat /proc/1/cmdline | tr \"\\\\0\" \" \"; echo; read -r s _ </proc/self/stat; [ \"\$s\" = \$\$ ] && echo self-ok; readlink /proc/self/ns/pid']
"
out=$(B run -b "$T/j" j$$ 2>&1 </dev/null)
check_contains "joined pid ns: pid 1 is the holder's" "sleep 600" "$out"
check_contains "joined pid ns: /proc/self is ours" self-ok "$out"
check_contains "joined pid ns: the holder's namespace" "$(readlink "/proc/$HP/ns/pid")" "$out"
# create/start: the pid file names the process that runs the program, in the holder's pid ns,
# and no builder is left behind.
bundle_edit "$T/j" "c['process']['args'] = ['sleep', '100']"
B create -b "$T/j" --pid-file "$T/j.pid" j$$ </dev/null >/dev/null 2>&1
jp=$(cat "$T/j.pid" 2>/dev/null)
check "create joining a pid ns by path" test -n "$jp"
check_eq "its process is in the holder's pid ns" "$(readlink "/proc/$HP/ns/pid")" \
  "$(readlink "/proc/$jp/ns/pid" 2>&1)"
check_eq "no builder or joiner is left behind" "" "$(pgrep -f -- "$T/root create" | grep -vx "$jp")"
B start j$$
for _ in $(seq 50); do [ "$(cat "/proc/$jp/comm")" = sleep ] && break; sleep 0.02; done
check_eq "the pid-file process runs the program" sleep "$(cat "/proc/$jp/comm")"
check_contains "exec into it lands in the holder's pid ns" "$(readlink "/proc/$HP/ns/pid")" \
  "$(B exec j$$ readlink /proc/self/ns/pid 2>&1)"
B delete -f j$$ >/dev/null 2>&1

# A proc mount's own pidns= would pick the namespace its /proc shows: refused.
bundle_edit "$T/j" "
for m in c['mounts']:
    if m['type'] == 'proc': m.setdefault('options', []).append('pidns=/proc/1/ns/pid')
"
out=$(B run -b "$T/j" j$$ 2>&1 </dev/null)
check_contains "a proc mount's own pidns= option is refused" "pidns= is not allowed" "$out"
check_fails "and leaves no container" grep -qx "j$$" <<<"$(B list -q)"
B delete -f h2$$ >/dev/null 2>&1

# The pod case: a user namespace and the pid namespace it owns, both joined by path.
unshare --user --pid --fork sleep 300 </dev/null >/dev/null 2>&1 &
HOLDERS+=("$!")
disown # no job report when the cleanup kills it
for _ in $(seq 50); do UP=$(pgrep -P "${HOLDERS[-1]}" sleep) && break; sleep 0.02; done
HOLDERS+=("$UP") # unshare --fork does not pass the signal on
echo "0 200000 65536" >"/proc/$UP/uid_map"
echo "0 200000 65536" >"/proc/$UP/gid_map"
MAP=$(tr -s ' ' <"/proc/$UP/uid_map")
# shellcheck disable=SC2016 # expanded inside the container
make_bundle "$T/u" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo map=$(tr -s " " </proc/self/uid_map); id -u'
bundle_edit "$T/u" "
ns = [n for n in c['linux']['namespaces'] if n['type'] not in ('pid', 'user')]
c['linux']['namespaces'] = ns + [{'type': 'user', 'path': '/proc/$UP/ns/user'},
                                 {'type': 'pid', 'path': '/proc/$UP/ns/pid'}]
"
out=$(B run -b "$T/u" u$$ 2>&1 </dev/null)
check_contains "joined user + pid ns: pid 1 is the holder's" "sleep 300" "$out"
check_contains "joined user + pid ns: the holder's uid_map" "map=$MAP" "$out"
check_contains "joined user + pid ns: root inside" "$(printf 'map=%s\n0' "$MAP")" "$out"

finish

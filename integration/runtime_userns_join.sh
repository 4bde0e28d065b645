#!/usr/bin/env bash
# Joining a user namespace and a mount namespace by path (runc-cli.md §9.3),
# under bottle and, where installed, runc 1.1.5 on the same bundles: the
# container sees the holder's uid_map, ids and namespace inodes; a joined
# mount namespace gets the full rootfs preparation inside it (the holder's
# root becomes the container's rootfs, as under runc); exec joins them all;
# the pid file names the process that runs the program, with no joiner left.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
need_root
[ -x "$BOTTLE" ] || skip "bottle not built ($BOTTLE)"
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
RUNC=$(command -v runc || true)

T=$(mktemp -d /tmp/bottle-uj.XXXXXX)
bottle_plain_mode "$T"
chmod 755 "$T" # the containers run as host uid 200000
ID=uj$$
HOLDERS=()
cleanup() {
  local id
  for id in $("$BOTTLE" --root "$T/root-bottle" list -q 2>/dev/null); do
    "$BOTTLE" --root "$T/root-bottle" delete -f "$id"
  done
  if [ -n "$RUNC" ]; then
    for id in $("$RUNC" --root "$T/root-runc" list -q 2>/dev/null); do
      "$RUNC" --root "$T/root-runc" delete -f "$id"
    done
  fi
  [ ${#HOLDERS[@]} -gt 0 ] && kill "${HOLDERS[@]}" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
RUNTIMES=(bottle)
[ -n "$RUNC" ] && RUNTIMES+=(runc)
R() { # R RUNTIME ARGS...
  if [ "$1" = bottle ]; then "$BOTTLE" --root "$T/root-bottle" "${@:2}"; else "$RUNC" --root "$T/root-runc" "${@:2}"; fi
}
ns() { readlink "/proc/$1/ns/$2"; }

# A user namespace holder (with its own net and mount ns owned by it) in UH;
# the host root writes its mappings, so no newuidmap is needed.
user_holder() {
  unshare --user --net --mount sleep 300 & UH=$!
  HOLDERS+=("$UH")
  for _ in $(seq 50); do [ "$(ns "$UH" user)" != "$(ns $$ user)" ] && break; sleep 0.02; done
  echo "0 200000 65536" >"/proc/$UH/uid_map"
  echo "0 200000 65536" >"/proc/$UH/gid_map"
}
user_holder
HOLDER_MAP=$(tr -s ' ' <"/proc/$UH/uid_map")

PROBE='echo map=$(tr -s " " </proc/self/uid_map) gmap=$(tr -s " " </proc/self/gid_map); echo id=$(id)
for n in user net mnt; do echo $n=$(readlink /proc/self/ns/$n); done'

# user + network joined by path, the rest new. runc 1.1.5 wants mappings in the
# config even then (and ignores them): give ones that differ from the holder's.
make_bundle "$T/un" sh -c "$PROBE"
bundle_edit "$T/un" "
ns = [n for n in c['linux']['namespaces'] if n['type'] != 'network']
ns += [{'type': 'user', 'path': '/proc/$UH/ns/user'}, {'type': 'network', 'path': '/proc/$UH/ns/net'}]
c['linux']['namespaces'] = ns
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 0, 'size': 1}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 0, 'size': 1}]
"
declare -A OUT
for rt in "${RUNTIMES[@]}"; do
  OUT[$rt]=$(R "$rt" run -b "$T/un" "$ID" 2>&1 </dev/null)
  check_contains "$rt: joined userns: holder's uid_map, no mapping written" "map=$HOLDER_MAP gmap=$HOLDER_MAP" "${OUT[$rt]}"
  check_contains "$rt: joined userns: root inside" "id=uid=0(root) gid=0(root)" "${OUT[$rt]}"
  check_contains "$rt: joined userns: same user ns inode as the holder" "user=$(ns "$UH" user)" "${OUT[$rt]}"
  check_contains "$rt: joined netns: same net ns inode as the holder" "net=$(ns "$UH" net)" "${OUT[$rt]}"
done
if [ -n "$RUNC" ]; then
  strip_mnt() { grep -v '^mnt='; }
  check_eq "joined userns + netns: bottle and runc see the same" \
    "$(strip_mnt <<<"${OUT[runc]}")" "$(strip_mnt <<<"${OUT[bottle]}")"
fi

# create/start: the pid file names the process that execs the program (no
# joiner in between or left behind), running as the holder's uid 0 = host 200000.
bundle_edit "$T/un" "c['process']['args'] = ['sleep', '100']"
for rt in "${RUNTIMES[@]}"; do
  R "$rt" create -b "$T/un" --pid-file "$T/$rt.pid" "$ID" </dev/null >/dev/null 2>&1
  pid=$(cat "$T/$rt.pid" 2>/dev/null)
  check "$rt: create joining a user ns by path" test -n "$pid"
  check_eq "$rt: init runs as host uid 200000" 200000 "$(awk '/^Uid:/{print $2}' "/proc/$pid/status")"
  ppid=$(awk '/^PPid:/{print $2}' "/proc/$pid/status")
  check "$rt: the init's parent is not a leftover runtime process" \
    test "$(cat "/proc/$ppid/comm" 2>/dev/null)" != "$rt"
  R "$rt" start "$ID"
  for _ in $(seq 50); do [ "$(cat "/proc/$pid/comm")" = sleep ] && break; sleep 0.02; done
  check_eq "$rt: the pid-file process runs the program" sleep "$(cat "/proc/$pid/comm")"
  out=$(R "$rt" exec "$ID" sh -c "$PROBE" 2>&1 </dev/null)
  check_contains "$rt: exec: holder's uid_map" "map=$HOLDER_MAP" "$out"
  check_contains "$rt: exec: root inside" "id=uid=0(root) gid=0(root)" "$out"
  check_contains "$rt: exec: joined user ns" "user=$(ns "$UH" user)" "$out"
  check_contains "$rt: exec: joined net ns" "net=$(ns "$UH" net)" "$out"
  check_contains "$rt: exec: the init's mount ns" "mnt=$(ns "$pid" mnt)" "$out"
  R "$rt" delete -f "$ID"
done

# a mount namespace joined by path (no user ns): the rootfs is prepared inside
# it, so its holder's root becomes the container's rootfs, as under runc.
make_bundle "$T/m" sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ls=$(ls /)'
declare -A MOUT MROOT
for rt in "${RUNTIMES[@]}"; do
  unshare --mount --propagation private sleep 300 & MH=$!
  HOLDERS+=("$MH")
  for _ in $(seq 50); do [ "$(ns "$MH" mnt)" != "$(ns $$ mnt)" ] && break; sleep 0.02; done
  bundle_edit "$T/m" "
for n in c['linux']['namespaces']:
    if n['type'] == 'mount': n['path'] = '/proc/$MH/ns/mnt'
"
  MOUT[$rt]=$(R "$rt" run -b "$T/m" "$ID" 2>&1 </dev/null)
  check_contains "$rt: joined mount ns: same inode as the holder" "mnt=$(ns "$MH" mnt)" "${MOUT[$rt]}"
  check_contains "$rt: joined mount ns: the container's rootfs is /" "ls=bin dev etc home proc root run sbin sys tmp usr var" "${MOUT[$rt]}"
  MROOT[$rt]=$(ls "/proc/$MH/root/" | tr '\n' ' ')
  check_eq "$rt: the holder's root is now the container's rootfs" \
    "bin dev etc home proc root run sbin sys tmp usr var " "${MROOT[$rt]}"
  check "$rt: the host's mount ns is untouched" test -d /proc/self/root/usr/lib
  kill "$MH"
done
if [ -n "$RUNC" ]; then
  check_eq "joined mount ns: bottle and runc leave the holder the same" "${MROOT[runc]}" "${MROOT[bottle]}"
fi

# user + network + mount all joined from a fresh user-ns holder each (the
# first container pivots the holder's mount ns), then exec
make_bundle "$T/all" sleep 100
for rt in "${RUNTIMES[@]}"; do
  user_holder
  bundle_edit "$T/all" "
ns = [n for n in c['linux']['namespaces'] if n['type'] not in ('network', 'mount', 'user')]
ns += [{'type': 'user', 'path': '/proc/$UH/ns/user'}, {'type': 'network', 'path': '/proc/$UH/ns/net'},
       {'type': 'mount', 'path': '/proc/$UH/ns/mnt'}]
c['linux']['namespaces'] = ns
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 0, 'size': 1}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 0, 'size': 1}]
"
  R "$rt" run -d -b "$T/all" "$ID" </dev/null >/dev/null 2>&1
  out=$(R "$rt" exec "$ID" sh -c "$PROBE" 2>&1 </dev/null)
  check_contains "$rt: user+net+mnt joined, exec: user ns" "user=$(ns "$UH" user)" "$out"
  check_contains "$rt: user+net+mnt joined, exec: net ns" "net=$(ns "$UH" net)" "$out"
  check_contains "$rt: user+net+mnt joined, exec: mount ns" "mnt=$(ns "$UH" mnt)" "$out"
  check_contains "$rt: user+net+mnt joined, exec: uid_map" "map=$HOLDER_MAP" "$out"
  R "$rt" delete -f "$ID"
  kill "$UH"
done

# a path that is not a namespace: a clear error from the joiner, nothing left
make_bundle "$T/bad" true
bundle_edit "$T/bad" "c['linux']['namespaces'].append({'type': 'user', 'path': '$T/bad/config.json'})"
out=$("$BOTTLE" --root "$T/root-bottle" run -b "$T/bad" "$ID" 2>&1 </dev/null)
rc=$?
check "not a user namespace: create fails" test "$rc" -ne 0
check_contains "not a user namespace: error names the path" "join namespace $T/bad/config.json: Invalid argument" "$out"
check_eq "not a user namespace: no container left" "" "$("$BOTTLE" --root "$T/root-bottle" list -q)"
finish

#!/usr/bin/env bash
# threats.md row 31: a sidecar image whose /etc/pipelock.yaml, /etc/hosts, /etc/resolv.conf or
# /etc itself is a symlink (absolute, relative with .., through /proc/self/root), a hard link or
# a FIFO aimed at the host never gets bottle's generated files written outside the sidecar's
# root: the write goes through openat2(RESOLVE_IN_ROOT|NO_SYMLINKS|NO_MAGICLINKS) into the
# per-instance overlay. Each symlink or FIFO fails create with one line naming the file; a hard
# link is copied up by the overlay, so the bottle runs with its own file. In every case the
# host's victim files and the shared bundle are unchanged, and nothing is left behind.
. "$(dirname "$0")/bottled.lib.sh"
bottled_setup hostile
before=$(bt_snapshot)
bottled_agent "$BT/agent" true

victim=$BT/victim
mkdir -p "$victim"
for f in yaml hosts resolv; do echo "original $f" >"$victim/$f"; done
victim_state() { (cd "$victim" && find . -printf '%p %y %s\n' | sort && cat ./*); }
victim_before=$(victim_state)

# hostile NAME SHELL: a copy of the double's bundle whose rootfs SHELL edits (run in rootfs/).
hostile() {
  local name=$1 edit=$2 dir=$BT/side-$1
  cp -a "$BT_SIDECAR" "$dir"
  (cd "$dir/rootfs" && eval "$edit")
  bottled_config "$BT/$name.json" "c['sidecar']['bundle'] = '$dir'"
  find "$dir" -printf '%p %y %s %l\n' | sort >"$BT/$name.tree"
}

try() {
  local name=$1 want=$2 id=hostile-$1-$$ out rc
  bt_track "$id"
  # Into a file: a created agent's init holds create's stdout until it runs.
  BT_CONFIG_FILE=$BT/$name.json bt create --bundle "$BT/agent" "$id" >"$BT/$name.out" 2>&1
  rc=$?
  out=$(cat "$BT/$name.out")
  echo "$out"
  check_eq "$name: create fails" 1 "$rc"
  check_contains "$name: the error names the file and says why" "$want" "$out"
  check_eq "$name: one line" 1 "$(grep -c . <<<"$out")"
  check_eq "$name: the host's files are untouched" "$victim_before" "$(victim_state)"
  check_eq "$name: the bundle is untouched" "$(cat "$BT/$name.tree")" \
    "$(find "$BT/side-$name" -printf '%p %y %s %l\n' | sort)"
  check_fails "$name: no state is left" bt state "$id"
}

hostile yaml-abs "ln -s '$victim/yaml' etc/pipelock.yaml"
try yaml-abs "write /etc/pipelock.yaml inside the root (symlinks are not followed)"

hostile hosts-rel "ln -s ../../../../../../../..$victim/hosts etc/hosts"
try hosts-rel "write /etc/hosts inside the root (symlinks are not followed)"

hostile resolv-proc "ln -s /proc/self/root$victim/resolv etc/resolv.conf"
try resolv-proc "write /etc/resolv.conf inside the root (symlinks are not followed)"

hostile etc-dir "rmdir etc && ln -s '$victim' etc"
try etc-dir "/etc"

hostile hosts-hardlink "ln '$victim/hosts' etc/hosts"
id=hostile-hardlink-$$
bt_track "$id"
BT_CONFIG_FILE=$BT/hosts-hardlink.json bt create --bundle "$BT/agent" "$id" >"$BT/hardlink.out" 2>&1
check_eq "hosts-hardlink: create succeeds (the overlay copies the file up)" 0 "$?"
check_eq "hosts-hardlink: the sidecar's hosts is bottle's" "$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost')" \
  "$(cat "$BT_ROOT/.bottle/$id/fs/merged/etc/hosts")"
check "hosts-hardlink: delete" bt delete --force "$id"
check_eq "hosts-hardlink: the host's files are untouched" "$victim_before" "$(victim_state)"
check_eq "hosts-hardlink: the bundle is untouched" "$(cat "$BT/hosts-hardlink.tree")" \
  "$(find "$BT/side-hosts-hardlink" -printf '%p %y %s %l\n' | sort)"

hostile yaml-fifo "mkfifo etc/pipelock.yaml"
try yaml-fifo "write /etc/pipelock.yaml: exists and is not a regular file"

check_same "nothing left behind" "$before" "$(bt_snapshot)"
finish

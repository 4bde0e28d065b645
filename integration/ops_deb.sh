#!/usr/bin/env bash
# Issue 13, Done when 6: `make deb` builds a Debian package from the tree (dpkg-buildpackage in
# $BUILD/deb, lintian clean: the target fails on any lintian error or warning), which installs,
# gives `man bottle`, `man bottle-run`, `man 5 bottle.json` and the bash completion, registers
# nothing by itself, and is removed without a trace.
#
# It installs into a fresh Debian 12 root that mmdebstrap makes from the Debian mirror (the
# package's dependencies and man-db, nothing else), is used there and purged, and the root is the
# same as before. The package has no maintainer scripts and no file under /etc, so installing it
# cannot touch an engine's config (checked on the .deb itself).
source "$(dirname "$0")/../tests/lib.sh"
need_root
for t in dpkg-buildpackage dh lintian mmdebstrap; do command -v "$t" >/dev/null || skip "needs $t (make deps)"; done

T=$(mktemp -d /tmp/bottle-ops-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT
DEB_BUILD=$T/build

out=$(make -C "$BOTTLE_TOP" --no-print-directory deb BUILD="$DEB_BUILD" 2>&1)
rc=$?
tail -n 15 <<<"$out"
check_eq "make deb exits 0 (dpkg-buildpackage, lintian --fail-on error,warning)" 0 "$rc"
deb=$(ls "$DEB_BUILD"/deb/bottle_*_amd64.deb 2>/dev/null | head -1)
check "a .deb" test -f "$deb"
check_fails "lintian reported no error or warning" grep -qE '^(E|W): ' <<<"$out"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/bottle ./usr/bin/bottle-run ./usr/libexec/bottle/bottle-connect \
  ./usr/share/man/man8/bottle.8.gz ./usr/share/man/man8/bottle-run.8.gz \
  ./usr/share/man/man5/bottle.json.5.gz ./usr/share/bash-completion/completions/bottle \
  ./usr/share/bash-completion/completions/bottle-run; do
  check_contains "package holds $f" "$f" "$files"
done
check_eq "nothing under /etc (no engine or bottle config)" "" "$(grep '^\./etc' <<<"$files")"
mkdir "$T/ctrl"
dpkg-deb -e "$deb" "$T/ctrl"
check_eq "no maintainer scripts (nothing runs at install or removal)" "control md5sums" \
  "$(ls "$T/ctrl" | tr '\n' ' ' | sed 's/ $//')"

# A fresh Debian 12 root (mmdebstrap from the Debian mirror, 40-70 s) with the package's
# dependencies and man-db: bottle is installed with dpkg, used, purged, and the root compared with
# its state before (dpkg's own database and caches aside).
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/ //g' | grep -v '^$' | paste -sd,)
snap='find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \) -prune -o -printf "%p %m %s %U\n" | sort'
use='MANWIDTH=200 man bottle; MANWIDTH=200 man bottle-run; MANWIDTH=200 man 5 bottle.json
echo ---; bottle --version; bottle --help; bottle-run --help
echo ---; bash -c ". /usr/share/bash-completion/completions/bottle; complete -p bottle bottle-run"'
# Downloaded packages are kept in $BUILD/test-cache between runs (what mmdebstrap's manual
# suggests for repeated builds).
cache=$BUILD/test-cache/debian12-debs
mkdir -p "$cache"
mmdebstrap --quiet --variant=apt --include="man-db,$deps" --skip=download/empty \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in $cache /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives $cache" \
  --customize-hook="chroot \"\$1\" sh -c '$snap' >$T/before" \
  --customize-hook="copy-in $deb /tmp" \
  --customize-hook="chroot \"\$1\" dpkg -i /tmp/$(basename "$deb") >$T/install.log 2>&1; echo \$? >$T/install.rc" \
  --customize-hook="chroot \"\$1\" dpkg-query -W -f='\${Status}' bottle >$T/status" \
  --customize-hook="chroot \"\$1\" sh -c '$use' >$T/use.out 2>&1" \
  --customize-hook="chroot \"\$1\" dpkg -P bottle >$T/purge.log 2>&1; echo \$? >$T/purge.rc" \
  --customize-hook="chroot \"\$1\" sh -c '$snap' >$T/after" \
  bookworm /dev/null http://deb.debian.org/debian >"$T/mmdebstrap.log" 2>&1
check_eq "a fresh Debian 12 root was made (mmdebstrap)" 0 "$?"
tail -n 5 "$T/mmdebstrap.log"
cat "$T/install.log"
check_eq "dpkg -i in the fresh root" 0 "$(cat "$T/install.rc" 2>/dev/null)"
check_eq "installed" "install ok installed" "$(cat "$T/status" 2>/dev/null)"
use=$(cat "$T/use.out" 2>/dev/null)
check_contains "man bottle" "bottle - an OCI runtime that confines AI coding agents" "$use"
check_contains "man bottle-run" "bottle-run - run an OCI bundle as a bottled agent" "$use"
check_contains "man 5 bottle.json" "sidecar.max_requests_per_minute" "$use"
check_contains "the installed bottle runs" "bottle version " "$use"
check_contains "bottle --help lists logs" "  logs " "$use"
check_contains "bottle-run is the same binary" "usage: bottle-run" "$use"
check_contains "completion for bottle" "complete -F _bottle bottle" "$use"
check_contains "completion for bottle-run" "complete -F _bottle_run bottle-run" "$use"
check_eq "dpkg -P" 0 "$(cat "$T/purge.rc" 2>/dev/null)"
check "a snapshot of the root before" test -s "$T/before"
check_eq "purged: the root is as it was before the install" "$(cat "$T/before")" "$(cat "$T/after" 2>/dev/null)"
finish

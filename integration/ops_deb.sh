#!/usr/bin/env bash
# Issue 13, Done when 6: `make deb` builds a Debian package from the tree (dpkg-buildpackage in
# $BUILD/deb, lintian clean: the target fails on any lintian error or warning), which installs,
# gives `man bottle`, `man bottle-run`, `man 5 bottle.json` and the bash completion, registers
# nothing by itself, and is removed without a trace.
#
# Instead of a fresh Debian 12 root (debootstrap from the mirror takes minutes), two cheaper
# checks that stay honest: apt-get resolves the package's dependencies against this Debian 12
# machine's package lists (a simulation, nothing is installed), and dpkg installs and purges it
# in an empty private root (dpkg --root), where anything it wrote or left shows. The package has
# no maintainer scripts and no file under /etc, so installing it cannot touch an engine's config
# (checked on the .deb itself).
source "$(dirname "$0")/../tests/lib.sh"
need_root
for t in dpkg-buildpackage dh lintian man apt-get; do command -v "$t" >/dev/null || skip "needs $t (make deps)"; done

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

sim=$(apt-get install -s "$deb" 2>&1)
check_contains "apt resolves its dependencies on this Debian 12" "Inst bottle " "$sim"

# dpkg into an empty root of our own.
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
outside_db() { (cd "$R" && find . -path ./var/lib/dpkg -prune -o -print | sort); }
empty=$(outside_db)
check "dpkg -i" dpkg --root="$R" --force-depends -i "$deb"
check_eq "installed" "install ok installed" "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' bottle)"
check_contains "man bottle" "bottle - an OCI runtime that confines AI coding agents" \
  "$(MANPATH=$R/usr/share/man MANWIDTH=200 man bottle 2>&1)"
check_contains "man bottle-run" "bottle-run - run an OCI bundle as a bottled agent" \
  "$(MANPATH=$R/usr/share/man MANWIDTH=200 man bottle-run 2>&1)"
check_contains "man 5 bottle.json" "sidecar.max_requests_per_minute" \
  "$(MANPATH=$R/usr/share/man MANWIDTH=200 man 5 bottle.json 2>&1)"
check_contains "the installed bottle runs" "bottle version " "$("$R/usr/bin/bottle" --version 2>&1)"
check_contains "bottle --help lists logs" "  logs " "$("$R/usr/bin/bottle" --help 2>&1)"
check_contains "bottle-run is the same binary" "usage: bottle-run" "$("$R/usr/bin/bottle-run" --help 2>&1)"
check_contains "it finds bottle-connect under /usr/libexec" "/usr/libexec/bottle" \
  "$(strings "$R/usr/bin/bottle" | grep -m1 '^/usr/libexec/bottle')"
comp=$(bash -c ". '$R/usr/share/bash-completion/completions/bottle'; complete -p bottle bottle-run" 2>&1)
check_contains "completion for bottle" "complete -F _bottle bottle" "$comp"
check_contains "completion for bottle-run" "complete -F _bottle_run bottle-run" "$comp"
check "dpkg -P" dpkg --root="$R" -P bottle
check_eq "purged: nothing left outside dpkg's database" "$empty" "$(outside_db)"
check_eq "purged: dpkg knows nothing of it" "" \
  "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' bottle 2>/dev/null | grep installed)"
finish

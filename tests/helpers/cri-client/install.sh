#!/usr/bin/env bash
# Installs the CRI client's npm dependencies (package-lock.json, exactly) once per version of
# the lock file, into BUILD/test-cache/cri-client-<hash>/node_modules, and prints that
# node_modules path. `make deps` runs it; integration/cri.lib.sh runs it again, which does
# nothing when the install is there. Needs node and npm, and the npm registry the first time.
#
#   tests/helpers/cri-client/install.sh BUILD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -n "${1:-}" ] || { echo "usage: install.sh BUILD" >&2; exit 2; }
mkdir -p "$1/test-cache"
build=$(cd "$1" && pwd)
hash=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dir=$build/test-cache/cri-client-$hash
if [ ! -f "$dir/node_modules/.installed" ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "install.sh: node and npm are needed (make deps installs them)" >&2
    exit 1
  fi
  tmp=$(mktemp -d "$build/test-cache/cri-client-tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$here/package.json" "$here/package-lock.json" "$tmp/"
  # --ignore-scripts: nothing here needs an install script (protobufjs's only prints a notice).
  if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
    cat "$tmp/npm.log" >&2
    echo "install.sh: npm ci failed (is the npm registry reachable?)" >&2
    exit 1
  fi
  touch "$tmp/node_modules/.installed"
  chmod 755 "$tmp"
  # Another run may have installed it meanwhile: keep theirs.
  mv -T "$tmp" "$dir" 2>/dev/null || true
fi
echo "$dir/node_modules"

#!/usr/bin/env bash
# make-bundle.sh DIR: writes an OCI bundle for the pipelock test double, as bare
# as the real image (scratch: only /pipelock; here also an empty /etc for the
# runtime to put /etc/pipelock.yaml in). The binary is a static build of the
# double's sources with libyaml.a, so it needs nothing from the rootfs.
#
#   DIR/config.json       process.args mirror the image's ENTRYPOINT + CMD as
#                         bottle passes them: /pipelock run --listen 0.0.0.0:8888
#                         --config /etc/pipelock.yaml
#   DIR/rootfs/pipelock   static binary
#   DIR/rootfs/etc/       empty
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$src/../.." && pwd)
cc=${CC:-gcc}

libyaml=$("$cc" -print-file-name=libyaml.a)
if [ ! -f "$libyaml" ]; then
  echo "make-bundle.sh: libyaml.a not found (install libyaml-dev)" >&2
  exit 1
fi

mkdir -p "$dir/rootfs/etc"
tmp=$(mktemp "$dir/rootfs/.pipelock.XXXXXX")
trap 'rm -f "$tmp"' EXIT
"$cc" -static -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -Wall -Wextra \
  -Wno-unused-parameter -I"$top" -o "$tmp" "$src"/*.c "$libyaml" -lpthread
chmod 0755 "$tmp"
mv -f "$tmp" "$dir/rootfs/pipelock"
trap - EXIT

cat >"$dir/config.json" <<'JSON'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["/pipelock", "run", "--listen", "0.0.0.0:8888", "--config", "/etc/pipelock.yaml"],
    "env": [],
    "cwd": "/",
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "pipelock",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"}
  ],
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "network"}
    ]
  }
}
JSON
echo "$dir"

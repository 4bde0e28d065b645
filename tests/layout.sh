#!/usr/bin/env bash
# The layout check (issue 10): every #include "<dir>/..." in the tree points down the order
#
#   runtime/cli -> runtime/bottle -> runtime/container -> runtime/{rootfs,cgroup,security} -> runtime/lib
#                  runtime/bottle -> config/, netns/
#
# A folder may include its own headers and those of any folder below it; the three middle folders
# (rootfs, cgroup, security) not each other's. config/ and netns/ include nothing of runtime/ nor of
# each other (they are libraries the bottle composes), except runtime/lib/error.h, the one error
# value every layer reports in (it and its error.c use only libc; the rest of runtime/lib logs to
# the runtime's log and aborts on allocation failure, which a library must not); only
# runtime/bottle and runtime/cli use them, so that the container library stays an OCI runtime
# that knows no policy. runtime/helpers/ is
# built alone (static) and includes nothing of ours. Each include that breaks a rule is named
# with its file and line, and the check fails.
#
#   tests/layout.sh [DIR]   check the tree at DIR (default: the checkout this script is in)
set -u
top=${1:-"$(cd "$(dirname "$0")/.." && pwd)"}
cd "$top" || exit 1

# rank: a folder may include a folder of lower rank, or its own.
rank() {
  case $1 in
    runtime/lib) echo 0 ;;
    runtime/rootfs | runtime/cgroup | runtime/security) echo 1 ;;
    runtime/container) echo 2 ;;
    config | netns) echo 2.5 ;;
    runtime/bottle) echo 3 ;;
    runtime/cli) echo 4 ;;
    *) echo "" ;;
  esac
}

# Which folder an include path names: runtime/<folder>, config, netns, or the path itself.
folder_of() {
  case $1 in
    runtime/*/*) echo "${1%/*}" ;;
    config/* | netns/*) echo "${1%%/*}" ;;
    *) echo "$1" ;;
  esac
}

bad=0
complain() {
  echo "$1: $2 (${3})"
  bad=$((bad + 1))
}

checked=0
while IFS= read -r src; do
  from=$(folder_of "$src")
  checked=$((checked + 1))
  # One line per include of ours: "LINE:PATH".
  while IFS=: read -r line inc; do
    [ -n "$inc" ] || continue
    to=$(folder_of "$inc")
    where="$src:$line: #include \"$inc\""
    [ "$to" = "$from" ] && continue
    case $from in
      runtime/helpers)
        complain "$where" "runtime/helpers is built on its own" "it includes nothing of ours"
        continue
        ;;
      config | netns)
        [ "$inc" = runtime/lib/error.h ] && continue
        complain "$where" "$from includes $to" \
          "config/ and netns/ use nothing of runtime/ but runtime/lib/error.h, nor each other"
        continue
        ;;
    esac
    if [[ $inc == runtime/* && $inc != runtime/*/* ]]; then
      complain "$where" "a runtime header outside the folders" "runtime/ has only folders"
      continue
    fi
    rf=$(rank "$from") rt=$(rank "$to")
    # A file at the top of runtime/ has no rank: the check after this loop names it.
    [ -n "$rf" ] || continue
    if [ -z "$rt" ]; then
      complain "$where" "unknown folder $to" "add it to tests/layout.sh and the docs' layer table"
      continue
    fi
    # Equal ranks are siblings (rootfs, cgroup, security): not each other.
    if awk -v a="$rf" -v b="$rt" 'BEGIN { exit !(b >= a) }'; then
      complain "$where" "$from includes $to" "$to is not below $from in the layer order"
    fi
  done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"(runtime|config|netns)/' "$src" |
    sed -E 's/^([0-9]+):.*"([^"]+)".*/\1:\2/')
done < <(
  for d in runtime config netns; do
    find "$d" -name '*.[ch]' -type f
  done | sort
)

# runtime/ itself holds folders only: a file dropped at the top would escape the check's order.
while IFS= read -r loose; do
  complain "$loose" "a source file at the top of runtime/" "put it in the folder of its concern"
done < <(find runtime -maxdepth 1 -name '*.[ch]' -type f | sort)

if [ "$bad" -gt 0 ]; then
  echo "layout: $bad include(s) against the layer order (README.md, docs/design.md \"Layers\")"
  exit 1
fi
echo "layout: $checked files, every include points down the layer order"

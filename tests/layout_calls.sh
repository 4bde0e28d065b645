#!/usr/bin/env bash
# The layout check's second half (issue 10): within each folder, no two source files call each
# other, directly or round a longer circle, so that every folder reads one way; and no file has
# more than 1,000 lines. Calls are read from the built objects ($BUILD/obj: what a file
# defines and what it needs), which sees what an include check cannot when one header declares
# the functions of several files.
#
#   tests/layout_calls.sh   (after make; BUILD as for tests/run)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
[ -d "$BUILD/obj" ] || { echo "no objects under $BUILD/obj: run make first"; exit 1; }
command -v nm >/dev/null && command -v python3 >/dev/null || { echo "skipped: needs nm and python3"; exit 77; }
fail=0
long=$(find runtime netns config tests -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 1000')
if [ -n "$long" ]; then
  echo "files over 1,000 lines (split them by concern):"
  echo "$long"
  fail=1
fi
python3 - "$BUILD/obj" <<'PY' || fail=1
import glob, os, subprocess, sys
root = sys.argv[1]
bad = False
for folder in sorted({os.path.dirname(p) for p in glob.glob(root + "/**/*.o", recursive=True)}):
    rel = os.path.relpath(folder, root)
    if not (rel.startswith("runtime/") or rel in ("config", "netns")):
        continue
    defs, needs = {}, {}
    for o in glob.glob(folder + "/*.o"):
        name = os.path.basename(o)[:-2] + ".c"
        out = subprocess.run(["nm", o], capture_output=True, text=True).stdout.split("\n")
        defs[name] = {f[2] for f in (l.split() for l in out) if len(f) == 3 and f[1] in "TDBR"}
        needs[name] = {f[1] for f in (l.split() for l in out) if len(f) == 2 and f[0] == "U"}
    calls = {a: {b for b in defs if b != a and needs[a] & defs[b]} for a in defs}
    # a circle: a file that reaches itself through the files it calls
    def reach(a):
        seen, todo = set(), [a]
        while todo:
            for b in calls[todo.pop()]:
                if b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen
    circles = sorted({tuple(sorted([a, b])) for a in calls for b in calls[a] if a in reach(b)})
    for a, b in circles:
        why = sorted((needs[a] & defs[b]) | (needs[b] & defs[a]))
        print(f"{rel}: {a} and {b} call each other (round a circle): {', '.join(why[:4])}")
        bad = True
sys.exit(1 if bad else 0)
PY
[ "$fail" -eq 0 ] && echo "layout: no file over 1,000 lines, no circle of calls between the files of a folder"
exit "$fail"

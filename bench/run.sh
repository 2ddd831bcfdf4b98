#!/bin/bash
# run.sh BUILD_DIR [--json] - runs every benchmark, prints name=value lines and writes
# bench/results/latest.csv (name,value).  Numbers are medians of several runs.
set -eu
build=${1:-build}
json=0
[ "${2:-}" = --json ] && json=1
here=$(cd "$(dirname "$0")" && pwd)
results=$here/results
mkdir -p "$results"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$build/bench/bench_update_point" >>"$out"
for extra in "$here"/*.sh; do
    case $(basename "$extra") in run.sh) continue ;; esac
    [ -x "$extra" ] && "$extra" "$build" >>"$out"
done

grep '=' "$out" | sed 's/=/,/' >"$results/latest.csv"
if [ $json = 1 ]; then
    awk -F= 'BEGIN { printf "{" } NR > 1 { printf "," } { printf "\"%s\":%s", $1, $2 } END { print "}" }' "$out"
else
    cat "$out"
fi

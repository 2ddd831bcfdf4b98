#!/bin/bash
# heap.sh BUILD_DIR - update pauses for heap shapes of growing size.
#
# For each shape (list, tree, hash, graph), size and kind of update - "change" (the node
# type gains a field), "same" (an identical v->v update) and "root" (only a small root
# struct changes, the nodes below it do not) - starts a fresh process, updates it and
# reads the pause from `kitsune update --json`.  Prints name=value lines: medians of
# RUNS runs (default 5) with _min and _max, RSS before the update and at its peak; and
# writes bench/results/heap.csv.  BENCH_QUICK=1 limits sizes to 10^5.
set -u
build=$1
kit=$build/bin/kitsune
dir=$build/bench/heap
runs=${RUNS:-5}
results=$(cd "$(dirname "$0")" && pwd)/results
mkdir -p "$results"
csv=$results/heap.csv
echo "shape,kind,size,threads,run,pause_ms,rss_before_mb,rss_peak_mb" >"$csv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KITSUNE_DIR=$tmp/run KITSUNE_QUIET=1
mkdir -m 700 "$KITSUNE_DIR"

label() {
    case $1 in 10000) echo 10k ;; 100000) echo 100k ;; 1000000) echo 1m ;;
        10000000) echo 10m ;; *) echo "$1" ;; esac
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# one_run SHAPE KIND SIZE THREADS: prints "pause rss_before_mb rss_peak_mb"
one_run() {
    local shape=$1 kind=$2 size=$3 threads=$4 target
    case $kind in change) target=2 ;; same) target=1 ;; root) target=3 ;; esac
    KITSUNE_THREADS=$threads "$kit" run "$dir/${shape}_v1.so" "$size" >"$tmp/out" 2>"$tmp/err" &
    local pid=$!
    for _ in $(seq 1 3000); do
        grep -q ready "$tmp/out" && break
        sleep 0.01
    done
    local before
    before=$(status_kb "$pid" VmRSS)
    local reply
    reply=$("$kit" update --json "$pid" "$dir/${shape}_v${target}.so")
    for _ in $(seq 1 3000); do
        grep -q 'PASS\|FAILED' "$tmp/out" && break
        sleep 0.01
    done
    sleep 0.2 # let the background free finish before reading the peak
    local peak
    peak=$(status_kb "$pid" VmHWM)
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if ! grep -q '"outcome":"committed"' <<<"$reply" || ! grep -q PASS "$tmp/out"; then
        echo "heap.sh: $shape $kind $size failed: $reply $(cat "$tmp/out")" >&2
        echo "nan nan nan"
        return
    fi
    local pause
    pause=$(sed -n 's/.*"pause_ms":\([0-9.]*\).*/\1/p' <<<"$reply")
    echo "$pause $((before / 1024)) $((peak / 1024))"
}

# measure SHAPE KIND SIZE THREADS NAME
measure() {
    local vals=() rss_b=0 rss_p=0
    for r in $(seq 1 "$runs"); do
        read -r p b pk < <(one_run "$1" "$2" "$3" "$4")
        vals+=("$p")
        rss_b=$b
        [ "$pk" != nan ] && [ "$pk" -gt "$rss_p" ] && rss_p=$pk
        echo "$1,$2,$3,$4,$r,$p,$b,$pk" >>"$csv"
    done
    printf '%s\n' "${vals[@]}" | sort -g | awk -v n="$5" '
        { v[NR] = $1 } END {
            printf "%s_ms=%s\n%s_min_ms=%s\n%s_max_ms=%s\n", n, v[int((NR + 1) / 2)], n, v[1], n, v[NR] }'
    echo "rss_before_${5#pause_}_mb=$rss_b"
    echo "peak_rss_${5#pause_}_mb=$rss_p"
}

sizes="10000 100000 1000000"
[ "${BENCH_QUICK:-0}" = 1 ] && sizes="10000 100000"
for shape in list tree hash graph; do
    for size in $sizes; do
        for kind in change same root; do
            measure "$shape" "$kind" "$size" 1 "pause_${shape}_${kind}_$(label "$size")"
        done
    done
done
if [ "${BENCH_QUICK:-0}" != 1 ]; then
    measure list change 10000000 1 pause_list_change_10m
    measure tree change 1000000 2 pause_tree_change_1m_t2
fi

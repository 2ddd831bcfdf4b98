#!/bin/bash
# heap.sh BUILD_DIR - update pauses for heap shapes of growing size.
#
# For each shape (list, tree, hash, graph), size and kind of update - "change" (the node
# type gains a field), "same" (an identical v->v update) and "root" (only a small root
# struct changes, the nodes below it do not) - starts a fresh process, updates it and
# reads the pause from `kitsune update --json`.  Prints name=value lines: medians of
# RUNS runs (default 5) with _min and _max, RSS before the update and at its peak; and
# writes bench/results/heap.csv (one line per run, with the phases of each update),
# then draws the plots (bench/plot.sh).
#
# Names: pause_SHAPE_KIND_SIZE_ms for one thread (KITSUNE_THREADS=1), with _t2 for two
# threads ("change" only); rss_before_SHAPE_KIND_SIZE_mb and peak_rss_..._mb (the
# largest VmHWM over the runs).  The goals of docs/performance.md are read from
#   pause_list_change_1m_ms  pause_list_same_1m_ms  pause_list_change_10m_ms
#   pause_tree_change_1m_t1_ms  pause_tree_change_1m_t2_ms (runs alternating t1/t2)
#   pause_root_change_1m_ms (= pause_list_root_1m_ms)
#   rss_before_list_change_1m_mb  peak_rss_list_change_1m_mb
# Shapes that needed the general engine before issue 12, "change" only (the object type
# gains a field), 1 thread, at 100K and 1M: interior (pointers into rebuilt nodes),
# ptrarray (an E_PTRARRAY of pointers to rebuilt objects), hashx (a hash table whose
# `void *` values a $xform rule transforms), redis (a keyspace of strings, lists and
# sets behind `void *`, $xform rules): pause_SHAPE_SIZE_ms (pause_redis_100k_ms, ...).
# SHAPES="list redis" limits the shapes measured (default: all).  COMPARE=OTHER_BUILD
# measures only those shapes, runs alternating between OTHER_BUILD (printed as
# pause_SHAPE_SIZE_before_ms) and BUILD_DIR, COMPARE_SIZES (default "100000 1000000").
# BENCH_QUICK=1 limits sizes to 10^5 and skips the 10M list and the thread pair.
set -u
build=$1
kit=$build/bin/kitsune
dir=$build/bench/heap
runs=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
results=$here/results
mkdir -p "$results"
csv=$results/heap.csv
[ -n "${COMPARE:-}" ] && csv=/dev/null # comparisons print, they do not replace the reference runs
echo "shape,kind,size,threads,run,pause_ms,rss_before_mb,rss_peak_mb,request_ms,quiesce_ms,load_ms,migrate_ms,resume_ms,retire_ms" >"$csv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KITSUNE_DIR=$tmp/run KITSUNE_QUIET=1
mkdir -m 700 "$KITSUNE_DIR"

label() {
    case $1 in 10000) echo 10k ;; 100000) echo 100k ;; 1000000) echo 1m ;;
        10000000) echo 10m ;; *) echo "$1" ;; esac
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

phase() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }

# one_run SHAPE KIND SIZE THREADS [BUILD]: prints "pause rss_before_mb rss_peak_mb phases..."
one_run() {
    local shape=$1 kind=$2 size=$3 threads=$4 target kit=$kit dir=$dir
    if [ -n "${5:-}" ]; then kit=$5/bin/kitsune dir=$5/bench/heap; fi
    case $kind in change) target=2 ;; same) target=1 ;; root) target=3 ;; esac
    KITSUNE_THREADS=$threads "$kit" run "$dir/${shape}_v1.so" "$size" >"$tmp/out" 2>"$tmp/err" &
    local pid=$!
    for _ in $(seq 1 6000); do
        grep -q ready "$tmp/out" && break
        sleep 0.01
    done
    # (under load the control socket may come a moment after "ready")
    for _ in $(seq 1 1000); do
        [ -S "$KITSUNE_DIR/$pid.sock" ] && break
        sleep 0.01
    done
    local before
    before=$(status_kb "$pid" VmRSS)
    local reply
    reply=$("$kit" update --json "$pid" "$dir/${shape}_v${target}.so")
    for _ in $(seq 1 6000); do
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
        echo "nan nan nan nan nan nan nan nan nan"
        return
    fi
    local p
    echo "$(phase pause_ms "$reply") $(awk -v k="$before" 'BEGIN { printf "%.1f", k / 1024 }') \
$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }') \
$(for p in request quiesce load migrate resume retire; do printf '%s ' "$(phase "$p" "$reply")"; done)"
}

# summary NAME FILE: median, min and max of the pauses in FILE (one per line)
summary() {
    sort -g "$2" | awk -v n="$1" '
        { v[NR] = $1 } END {
            printf "%s_ms=%s\n%s_min_ms=%s\n%s_max_ms=%s\n", n, v[int((NR + 1) / 2)], n, v[1], n, v[NR] }'
}

# measure SHAPE KIND SIZE THREADS NAME
measure() {
    local rss_b=0 rss_p=0 p b pk ph
    : >"$tmp/vals"
    for r in $(seq 1 "$runs"); do
        read -r p b pk ph < <(one_run "$1" "$2" "$3" "$4")
        echo "$p" >>"$tmp/vals"
        rss_b=$b
        [ "$pk" != nan ] && awk -v a="$pk" -v b="$rss_p" 'BEGIN { exit !(a > b) }' && rss_p=$pk
        echo "$1,$2,$3,$4,$r,$p,$b,$pk,${ph// /,}" | sed 's/,$//' >>"$csv"
    done
    summary "$5" "$tmp/vals"
    echo "rss_before_${5#pause_}_mb=$rss_b"
    echo "peak_rss_${5#pause_}_mb=$rss_p"
    # The goal "root struct changes, 1M unchanged nodes below it" is the list's case.
    [ "$5" = pause_list_root_1m ] && summary pause_root_change_1m "$tmp/vals"
    return 0
}

# measure_pair SHAPE KIND SIZE NAME: one and two threads, runs alternating, so that a
# change in the machine's load affects both alike.
measure_pair() {
    local p b pk ph
    : >"$tmp/t1"
    : >"$tmp/t2"
    for r in $(seq 1 "$runs"); do
        for t in 1 2; do
            read -r p b pk ph < <(one_run "$1" "$2" "$3" "$t")
            echo "$p" >>"$tmp/t$t"
            echo "$1,$2,$3,$t,$r,$p,$b,$pk,${ph// /,}" | sed 's/,$//' >>"$csv"
        done
    done
    summary "${4}_t1" "$tmp/t1"
    summary "${4}_t2" "$tmp/t2"
}

wanted() { [ -z "${SHAPES:-}" ] || grep -qw -- "$1" <<<"$SHAPES"; }

# measure_builds SHAPE SIZE NAME: this build and $COMPARE, runs alternating.
measure_builds() {
    local p b pk ph
    : >"$tmp/before"
    : >"$tmp/after"
    for r in $(seq 1 "$runs"); do
        read -r p b pk ph < <(one_run "$1" change "$2" 1 "$COMPARE")
        echo "$p" >>"$tmp/before"
        read -r p b pk ph < <(one_run "$1" change "$2" 1)
        echo "$p" >>"$tmp/after"
    done
    summary "${3}_before" "$tmp/before"
    summary "$3" "$tmp/after"
}

if [ -n "${COMPARE:-}" ]; then
    for shape in interior ptrarray hashx redis; do
        wanted "$shape" || continue
        for size in ${COMPARE_SIZES:-100000 1000000}; do
            measure_builds "$shape" "$size" "pause_${shape}_$(label "$size")"
        done
    done
    exit 0
fi

sizes="10000 100000 1000000"
[ "${BENCH_QUICK:-0}" = 1 ] && sizes="10000 100000"
for shape in list tree hash graph; do
    wanted "$shape" || continue
    for size in $sizes; do
        for kind in change same root; do
            measure "$shape" "$kind" "$size" 1 "pause_${shape}_${kind}_$(label "$size")"
        done
        # (the 1M tree on two threads is measured below, alternating with one thread)
        [ "$shape/$size" = tree/1000000 ] && [ "${BENCH_QUICK:-0}" != 1 ] && continue
        measure "$shape" change "$size" 2 "pause_${shape}_change_$(label "$size")_t2"
    done
done
for shape in interior ptrarray hashx redis; do
    wanted "$shape" || continue
    for size in 100000 1000000; do
        [ "${BENCH_QUICK:-0}" = 1 ] && [ "$size" = 1000000 ] && continue
        measure "$shape" change "$size" 1 "pause_${shape}_$(label "$size")"
    done
done
if [ "${BENCH_QUICK:-0}" != 1 ]; then
    wanted list && measure list change 10000000 1 pause_list_change_10m
    wanted tree && measure_pair tree change 1000000 pause_tree_change_1m
fi
"$here/plot.sh" "$build" >&2 || echo "heap.sh: plotting failed" >&2

#!/bin/bash
# kvstore_overhead.sh BUILD_DIR [--json]
#
# Steady-state cost of running under kitsune: the same kvstore source (release 4) as
# a plain executable built without kitsune (examples/kvstore/kvstore-plain) and as an
# updatable version under `kitsune run` (kvstore-v4.so), measured with redis-benchmark
# in alternating pairs (plain/kitsune, then kitsune/plain, ...) with the same settings.
# Each run's throughput is the mean of its SET and GET requests per second.
#
# Prints name=value lines (or one JSON object with --json):
#   kvstore_plain_rps, kvstore_kitsune_rps   medians over the runs
#   kvstore_overhead_ratio                   median of the per-pair ratios plain/kitsune
#   kvstore_overhead_pairs, kvstore_overhead_requests
# Environment: KVSTORE_BENCH_PAIRS (7), KVSTORE_BENCH_REQUESTS (1000000 per test),
# KVSTORE_BENCH_WORKERS (4).
set -u
build=${1:?usage: kvstore_overhead.sh BUILD_DIR [--json]}
json=${2:-}
pairs=${KVSTORE_BENCH_PAIRS:-7}
requests=${KVSTORE_BENCH_REQUESTS:-1000000}
workers=${KVSTORE_BENCH_WORKERS:-4}
kit=$build/bin/kitsune
plain=$build/examples/kvstore/kvstore-plain
updatable=$build/examples/kvstore/kvstore-v4.so
for f in "$kit" "$plain" "$updatable"; do
    [ -e "$f" ] || { echo "kvstore_overhead: $f is missing (build first)" >&2; exit 1; }
done
command -v redis-benchmark >/dev/null || { echo "kvstore_overhead: needs redis-benchmark" >&2; exit 1; }

tmp=$(mktemp -d)
export KITSUNE_DIR=$tmp/run KITSUNE_QUIET=1
mkdir -m 700 "$KITSUNE_DIR"
server=""
cleanup() {
    [ -n "$server" ] && kill -9 "$server" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

# run_one plain|kitsune: starts the server, benchmarks it, stops it; the rps go to
# $tmp/rps.  (Not run in a subshell, so that the trap knows the server's PID.)
run_one() {
    if [ "$1" = plain ]; then
        "$plain" 0 "$workers" >"$tmp/out" 2>&1 &
    else
        "$kit" run "$updatable" 0 "$workers" >"$tmp/out" 2>&1 &
    fi
    server=$!
    local port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "kvstore_overhead: $1 server did not start" >&2; exit 1; }
    timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P 16 -n "$requests" \
        -r 100000 -t set,get --csv >"$tmp/bench" 2>"$tmp/bench.err" ||
        { echo "kvstore_overhead: redis-benchmark failed: $(cat "$tmp/bench.err")" >&2; exit 1; }
    kill "$server"
    wait "$server" 2>/dev/null
    server=""
    awk -F'"' '$2 == "SET" || $2 == "GET" { s += $4; n++ } END { printf "%.0f\n", s / n }' \
        "$tmp/bench" >"$tmp/rps"
}

median() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'; }

: >"$tmp/plain"
: >"$tmp/kitsune"
: >"$tmp/ratio"
for i in $(seq "$pairs"); do
    for which in $([ $((i % 2)) -eq 1 ] && echo plain kitsune || echo kitsune plain); do
        run_one "$which"
        [ "$which" = plain ] && p=$(cat "$tmp/rps") || k=$(cat "$tmp/rps")
    done
    echo "$p" >>"$tmp/plain"
    echo "$k" >>"$tmp/kitsune"
    awk -v p="$p" -v k="$k" 'BEGIN { printf "%.4f\n", p / k }' >>"$tmp/ratio"
    echo "pair $i: plain $p rps, kitsune $k rps" >&2
done
plain_rps=$(median <"$tmp/plain")
kitsune_rps=$(median <"$tmp/kitsune")
ratio=$(median <"$tmp/ratio")
if [ "$json" = --json ]; then
    printf '{"kvstore_plain_rps":%s,"kvstore_kitsune_rps":%s,"kvstore_overhead_ratio":%s,' \
        "$plain_rps" "$kitsune_rps" "$ratio"
    printf '"kvstore_overhead_pairs":%s,"kvstore_overhead_requests":%s}\n' "$pairs" "$requests"
else
    echo "kvstore_plain_rps=$plain_rps"
    echo "kvstore_kitsune_rps=$kitsune_rps"
    echo "kvstore_overhead_ratio=$ratio"
    echo "kvstore_overhead_pairs=$pairs"
    echo "kvstore_overhead_requests=$requests"
fi

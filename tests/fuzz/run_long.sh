#!/bin/bash
# run_long.sh BUILD_DIR [MINUTES_PER_TARGET] - the long fuzzing run behind the numbers
# in docs/reliability.md: each libFuzzer target (xf parser, .ktt reader + planner, the
# runtime's ELF reading, kitc's object reading) for MINUTES (default 8) on one core,
# starting from the committed corpora.  New interesting inputs are kept in
# BUILD_DIR/fuzz-long/; a crash leaves an artifact there and makes the script fail.
set -u
build=$1
minutes=${2:-8}
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$build/fuzz-long
mkdir -p "$out"
status=0
run() { # NAME BINARY CORPUS... (extra flags in FLAGS)
    local name=$1 bin=$2
    shift 2
    mkdir -p "$out/$name"
    echo "== $name: $minutes min"
    if ! nice -n 19 "$bin" -max_total_time=$((minutes * 60)) -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 ${FLAGS:-} \
        -artifact_prefix="$out/$name/" "$out/$name" "$@" 2>"$out/$name.log"; then
        status=1
        echo "   FAILED: see $out/$name.log"
    fi
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/$name.log" | sed 's/^/   /'
}
FLAGS="-dict=$src/tests/xfparse/xf.dict" run xfparse "$build/tests/xfparse/fuzz_xfparse" \
    "$src/tests/xfparse/corpus"
run ktt "$build/tests/fuzz/fuzz_ktt" "$src/tests/fuzz/corpus/ktt" "$src/tests/fuzz/regressions/ktt"
run elf "$build/tests/fuzz/fuzz_elf" "$src/tests/fuzz/corpus/elf" "$src/tests/fuzz/regressions/elf"
ASAN_OPTIONS=detect_leaks=0 run kitc "$build/tests/fuzz/fuzz_kitc" "$src/tests/fuzz/corpus/kitc"
exit $status

#!/bin/bash
# soak.sh KITSUNE CHECKER KVSTORE_BUILD_DIR [UPDATES]
#
# The soak test of docs/reliability.md: kvstore release 4 under load (redis-benchmark
# with 50 clients, the checker's 20 connections with exact INCR counters) while it is
# updated to itself UPDATES times (default 1000).  Checks that every update commits,
# that no request fails (redis-benchmark errors, checker mismatches or lost
# connections), that no file descriptor leaks, and that resident memory after the last
# update is within 10 MB of what it was after the 10th.  Prints the numbers.
set -u
kit=$1 checker=$2 dir=$3 updates=${4:-1000}
. "$(dirname "$0")/../lib/common.sh"
show_checker() { tail -5 "$tmp/checker.out" 2>/dev/null; }
failure_hook=show_checker
fail() { die "$@"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$server/status"; }
fds() { ls "/proc/$server/fd" | wc -l; }

start_program "$kit" run "$dir/kvstore-v4.so" 0 4
server=$pid
listening() { port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$out"); [ -n "$port" ]; }
wait_until 10 "kvstore to listen" listening
timeout 60 "$checker" "$port" load 20000 || fail "preload"
# One pass first, so that every key the load touches exists before memory is measured:
# growth of the data set is not growth of the runtime.
timeout 120 redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P 16 -n 200000 -r 100000 \
    -t set,get,incr,lpush,lpop -q >/dev/null 2>&1 || fail "warm-up pass of redis-benchmark"
"$checker" "$port" run 20 16 >"$tmp/checker.out" 2>&1 &
chk=$!
track_pid "$chk"
(while [ ! -e "$tmp/stop" ]; do
    timeout 120 redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P 16 -n 200000 -r 100000 \
        -t set,get,incr,lpush,lpop --csv >>"$tmp/bench.out" 2>>"$tmp/bench.err"
    echo $? >>"$tmp/bench.status"
done) &
bench=$!
track_pid "$bench"
# The load has started once the checker's 20 connections and redis-benchmark's 50 are open.
fds_idle=$(fds)
loaded() { [ "$(fds)" -ge $((fds_idle + 60)) ]; }
wait_until 30 "the clients to connect" loaded
start=$(date +%s)
threads() { ls "/proc/$server/task" | wc -l; }
threads_idle=$(threads)
# The old version's memory is freed by threads of their own after each commit.
frees_done() { [ "$(threads)" -le "$threads_idle" ]; }
pauses=$tmp/pauses
for i in $(seq 1 "$updates"); do
    reply=$(timeout 60 "$kit" update --json "$server" "$dir/kvstore-v4.so") ||
        fail "update $i: $reply"
    grep -q '"outcome":"committed"' <<<"$reply" || fail "update $i: $reply"
    sed -n 's/.*"pause_ms":\([0-9.]*\).*/\1/p' <<<"$reply" >>"$pauses"
    if [ "$i" -eq 10 ]; then
        wait_until 10 "the background frees of update 10" frees_done
        rss10=$(rss_kb)
        fds10=$(fds)
    fi
    [ $((i % 100)) -eq 0 ] && echo "  $i updates, RSS $(($(rss_kb) / 1024)) MB, $(fds) fds"
done
wait_until 10 "the background frees of the last update" frees_done
rss_end=$(rss_kb)
fds_end=$(fds)
touch "$tmp/stop"
wait_exit "$bench" 120 || fail "redis-benchmark did not finish"
kill -TERM "$chk"
wait "$chk" || fail "checker: $(tail -3 "$tmp/checker.out")"
bad=$(awk '$1 != 0' "$tmp/bench.status" | wc -l)
[ "$bad" -eq 0 ] || fail "redis-benchmark failed in $bad runs: $(sort -u "$tmp/bench.err" | head -3)"
[ -s "$tmp/bench.err" ] && grep -v '^$' "$tmp/bench.err" | head -3 | grep -q . &&
    fail "redis-benchmark reported: $(sort -u "$tmp/bench.err" | head -3)"
growth=$(((rss_end - rss10) / 1024))
median=$(sort -g "$pauses" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
worst=$(sort -g "$pauses" | tail -1)
echo "soak_updates=$updates"
echo "soak_seconds=$(($(date +%s) - start))"
echo "soak_pause_median_ms=$median"
echo "soak_pause_max_ms=$worst"
echo "soak_rss_after_10_mb=$((rss10 / 1024))"
echo "soak_rss_after_last_mb=$((rss_end / 1024))"
echo "soak_fds_after_10=$fds10"
echo "soak_fds_after_last=$fds_end"
echo "soak_redis_benchmark_runs=$(wc -l <"$tmp/bench.status")"
echo "soak_checker: $(grep 'result=' "$tmp/checker.out" | sed 's/checker: //')"
[ "$fds_end" -le "$fds10" ] || fail "file descriptors grew from $fds10 to $fds_end"
[ "$growth" -le 10 ] || fail "resident memory grew by $growth MB (limit 10)"
echo "soak passed"

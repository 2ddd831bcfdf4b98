#!/bin/bash
# quiesce.sh BUILD_DIR - how long an update waits for a kitsune thread blocked in an
# ordinary call to park.
#
# For each call (sleep, nanosleep, poll, select, read of a pipe, a plain
# pthread_cond_wait, epoll_wait), with and without every signal blocked in that thread,
# starts bench/quiesce/blocked.c, updates it to itself RUNS times (default 7) and prints
# the median quiescence: quiesce_ms_CALL and quiesce_ms_CALL_sigblocked.
set -u
build=$1
kit=$build/bin/kitsune
so=$build/bench/quiesce/blocked.so
runs=${RUNS:-7}
tmp=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
export KITSUNE_DIR=$tmp/run KITSUNE_QUIET=1
mkdir -m 700 "$KITSUNE_DIR"
pid=0

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for call in sleep nanosleep poll select read cond epoll; do
    for blocked in 0 1; do
        BLOCKED_CALL=$call BLOCK_SIGNALS=$blocked "$kit" run "$so" >"$tmp/out" 2>&1 &
        pid=$!
        for _ in $(seq 1 500); do grep -q '^ready$' "$tmp/out" && break; sleep 0.01; done
        sleep 0.05 # the thread is in its call
        for _ in $(seq 1 "$runs"); do
            "$kit" update --json --timeout 5000 "$pid" "$so" |
                sed -n 's/.*"quiesce":\([0-9.]*\).*/\1/p'
        done >"$tmp/q"
        kill -9 "$pid"
        wait "$pid" 2>/dev/null
        name=quiesce_ms_$call
        [ $blocked = 1 ] && name=${name}_sigblocked
        echo "$name=$(median <"$tmp/q")"
    done
done

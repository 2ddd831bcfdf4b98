#!/bin/bash
# run_many_rounds.sh KITSUNE V1.so V2.so KEYS
#
# The general engine on a transfer of many rounds over many objects: the bench's
# redis-like keyspace (bench/heap/redis.c: dict tables, entries, strings, lists and
# sets behind void *, reached through $xform rules) of KEYS keys, updated to the
# version whose value type gains a field.  The update commits within 30 s (x
# KITSUNE_TEST_SLOW) and the program finds its keys.  Each round of the engine used to
# sort every object found so far to look for aliases: 10,000 keys took 21 s, 100,000
# more than 60 s (now 55 ms and 0.4 s on the same machine).
set -u
kit=$1 v1=$2 v2=$3 keys=$4
. "$(dirname "$0")/common.sh"
export KITSUNE_THREADS=1
start_program "$kit" run "$v1" "$keys"
wait_until 60 "ready" grep -q '^ready' "$out"
wait_until 10 "the control socket" test -S "$KITSUNE_DIR/$pid.sock"
limit=$((30000 * slow))
reply=$("$kit" update --json --timeout "$limit" "$pid" "$v2")
grep -q '"outcome":"committed"' <<<"$reply" || die "update: $reply"
wait_until 30 "the program's check" grep -q 'PASS\|FAILED' "$out"
grep -q PASS "$out" || die "the keys after the update"
echo "committed: $(sed -n 's/.*\("pause_ms":[0-9.]*\).*/\1/p' <<<"$reply") with $keys keys"

#!/bin/bash
# run_client_timeout.sh KITSUNE V1.so V2.so V3.so
#
# `kitsune update --timeout MS` bounds what an update can cost: (1) a new version that
# hangs before its update point is rolled back after MS, the reply says how long the
# program was frozen and the command returns within MS plus its grace; (2) against a
# stopped process the command gives up after MS + grace, and once the process runs
# again the abandoned request is cancelled, not applied; (3) a good update then
# commits.  All times are scaled by KITSUNE_TEST_SLOW.
set -u
kit=$1 v1=$2 v2=$3 v3=$4
. "$(dirname "$0")/common.sh"
start_program "$kit" run "$v1"
wait_file() { wait_lines "$1" "$2"; }

wait_file "$out" '^ready$'
limit=$((300 * slow))
grace=$((750 * slow + 500)) # the command's own grace, plus the time to start it

# (1) a hanging new version: rolled back after the limit, frozen time reported.
t0=$(now_ms)
reply=$("$kit" update --json --timeout "$limit" "$pid" "$v2")
took=$(($(now_ms) - t0))
grep -q '"outcome":"rolled back"' <<<"$reply" || die "hanging version: $reply"
grep -q "within $limit ms" <<<"$reply" || die "the reason should give the limit: $reply"
frozen=$(sed -n 's/.*"pause_ms":\([0-9.]*\).*/\1/p' <<<"$reply")
awk -v f="$frozen" -v l="$limit" 'BEGIN { exit !(f >= l && f < l + 1000) }' ||
    die "frozen ${frozen} ms, expected between $limit and $((limit + 1000))"
[ "$took" -lt $((limit + grace)) ] || die "the command took $took ms"
echo "hanging new version: rolled back, frozen $frozen ms, command $took ms"
human=$("$kit" update --timeout "$limit" "$pid" "$v2")
grep -q '^  frozen [0-9.]* ms$' <<<"$human" || die "no frozen time in: $human"

# (2) a stopped process: the command gives up, the request is cancelled later.
kill -STOP "$pid"
t0=$(now_ms)
"$kit" update --timeout "$limit" "$pid" "$v3" >"$tmp/stopped.out" 2>"$tmp/stopped.err" &&
    die "an update of a stopped process cannot succeed"
took=$(($(now_ms) - t0))
[ "$took" -lt $((limit + grace)) ] || die "against a stopped process the command took $took ms"
grep -q "gave no outcome within" "$tmp/stopped.err" || die "message: $(cat "$tmp/stopped.err")"
kill -CONT "$pid"
wait_file "$KITSUNE_DIR/$pid.log" "update refused: cancelled: the client went away"
status=$("$kit" status --json "$pid")
grep -q '"version":0' <<<"$status" || die "the abandoned request was applied: $status"
echo "stopped process: command gave up after $took ms; request cancelled after SIGCONT"

# (3) a good update still commits, with the state intact.
reply=$("$kit" update --json --timeout $((5000 * slow)) "$pid" "$v3")
grep -q '"outcome":"committed"' <<<"$reply" || die "good update: $reply"
wait_file "$out" '^\(PASS\|FAILED\)'
grep -q '^FAIL' "$out" && die "a check failed after the update"
echo "client timeouts: passed"

#!/bin/bash
# run_faults.sh KITSUNE V1.so V2.so
#
# Fails every step of an update in turn (kitsune update --fault STEP) on a program with
# a heap of 2,000 linked nodes holding function pointers.  After each attempt the
# program must be running the old version with a state digest identical to the one
# from before.  Then the new version fails on its own before its update point, in
# every way it can (FAULTS_KIND_FILE tells faults.c how): each must roll back with a
# reason naming what happened and where, the state intact (only with OWN_FAILURES=1: a
# program that reads that file, tests/scenarios/faults.c).  With FAILALLOC=failalloc.so
# (preloaded), instead of all that, every allocation of an update fails in turn (--fault alloc=N, N = 1, 2,
# ... until the update no longer makes an Nth one and commits): each attempt must be
# refused or rolled back with the state intact.  A final update without a fault must
# commit.
set -u
kit=$1 v1=$2 v2=$3
. "$(dirname "$0")/common.sh"
export KITSUNE_UPDATE_TIMEOUT_MS=300
export FAULTS_KIND_FILE=$tmp/kind
: >"$FAULTS_KIND_FILE"
start_program env ${FAILALLOC:+LD_PRELOAD=$FAILALLOC} "$kit" run "$v1"

wait_count() { wait_lines "$out" "$1" "$2"; }

# digest VAR: asks the program for its state digest and stores it in VAR.  Not run
# in a $(...) subshell: the count of digests asked for must survive the call, or the
# wait below is satisfied by an earlier line and the digest read is a stale one.
digests=0
digest() {
    digests=$((digests + 1))
    kill -USR1 "$pid"
    wait_count '^digest' "$digests"
    printf -v "$1" '%s' "$(grep '^digest' "$out" | tail -1)"
}

wait_count '^ready$' 1
digest before
echo "state before: $before"
steps="quiesce load crash prestart migrate segv timeout commit"
[ -n "${FAILALLOC:-}" ] && steps= # the out-of-memory test does only that
for step in $steps; do
    want="rolled back"
    [ "$step" = quiesce ] && want=refused
    reply=$("$kit" update --json --fault "$step" "$pid" "$v2")
    grep -q "\"outcome\":\"$want\"" <<<"$reply" || die "fault $step: expected $want: $reply"
    digest now
    [ "$now" = "$before" ] || die "fault $step: state changed ($before -> $now)"
    "$kit" status --json "$pid" | grep -q '"version":0' || die "fault $step: not in the old version"
    reason=$(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' <<<"$reply")
    frozen=$(sed -n 's/.*"pause_ms":\([0-9.]*\).*/\1/p' <<<"$reply")
    echo "fault $step: $want, state identical, frozen ${frozen} ms ($reason)"
done
# KIND|what the reason must say (grep -E)
for case in \
    'abort|abort\(\) \(SIGABRT\).*called from (faults_fail_now|code at offset 0x[0-9a-f]+) \(version 1\)' \
    'fpe|SIGFPE\) at address 0x[0-9a-f]+ in faults_fail_now \(version 1\)' \
    'ill|SIGILL\) at address 0x[0-9a-f]+ in faults_fail_now \(version 1\)' \
    'segv|SIGSEGV\) at address 0x10 in faults_fail_now \(version 1\)' \
    'bus|SIGBUS\) at address 0x[0-9a-f]+ in faults_fail_now \(version 1\)' \
    'exit|called exit\(4\) before reaching update point' \
    'return|main returned 3 before reaching update point' \
    'hang|did not reach update point .* within 300 ms' \
    'hang_malloc|did not reach update point .* within 300 ms'; do
    [ "${OWN_FAILURES:-0}" = 1 ] && [ -z "${FAILALLOC:-}" ] || break
    kind=${case%%|*} pattern=${case#*|}
    echo "$kind" >"$FAULTS_KIND_FILE"
    reply=$(timeout 20 "$kit" update --json "$pid" "$v2")
    grep -q '"outcome":"rolled back"' <<<"$reply" || die "new version fails ($kind): $reply"
    reason=$(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' <<<"$reply")
    grep -Eq "$pattern" <<<"$reason" || die "new version fails ($kind): reason '$reason'"
    digest now
    [ "$now" = "$before" ] || die "new version fails ($kind): state changed ($before -> $now)"
    "$kit" status --json "$pid" | grep -q '"version":0' || die "$kind: not in the old version"
    frozen=$(sed -n 's/.*"pause_ms":\([0-9.]*\).*/\1/p' <<<"$reply")
    echo "new version fails ($kind): rolled back, state identical, frozen ${frozen} ms ($reason)"
done
: >"$FAULTS_KIND_FILE"
if [ -n "${FAILALLOC:-}" ]; then
    # An attempt may also commit when the failed allocation was one the runtime can do
    # without: then the new version's checks must pass, and its state is the reference.
    n=1 commits=0 passes=$(grep -c '^PASS' "$out")
    while :; do
        reply=$("$kit" update --json --fault "alloc=$n" "$pid" "$v2")
        wait_lines "$KITSUNE_DIR/$pid.log" "fault alloc=$n: the request made [0-9]*"
        made=$(grep -o "fault alloc=$n: the request made [0-9]*" "$KITSUNE_DIR/$pid.log" |
                   tail -1 | grep -o '[0-9]*$')
        if grep -q '"outcome":"committed"' <<<"$reply"; then
            commits=$((commits + 1)) passes=$((passes + 1))
            wait_count '^\(PASS\|FAILED\)' "$passes"
            grep -q '^FAIL' "$out" && die "allocation $n failed: committed with a wrong state"
            digest before
        else
            grep -q '"outcome":"\(rolled back\|refused\)"' <<<"$reply" ||
                die "allocation $n fails: $reply"
            digest now
            [ "$now" = "$before" ] || die "allocation $n fails: state changed ($before -> $now)"
        fi
        [ "$made" -ge "$n" ] || break # no Nth allocation: this one committed untouched
        [ "$n" -le 5000 ] || die "more than 5000 allocations in one update"
        n=$((n + 1))
    done
    grep -q '"outcome":"committed"' <<<"$reply" || die "the update without a failure: $reply"
    ! grep '(null)' "$KITSUNE_DIR/$pid.log" || die "the log printed a string that was never made"
    commits=$((commits - 1))
    echo "each of the update's $((n - 1)) allocations failed in turn: refused or rolled back with the state identical ($commits committed without it, checks passed); then it committed"
    echo "every step rolled back cleanly; the final update committed"
    exit 0
fi
"$kit" update --json "$pid" "$v2" | grep -q '"outcome":"committed"' || die "final update failed"
wait_count '^\(PASS\|FAILED\)' 1
grep -q '^FAIL' "$out" && die "state wrong after the final update"
echo "every step rolled back cleanly; the final update committed"

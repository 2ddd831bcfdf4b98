#!/bin/bash
# run_alloc_crash.sh KITSUNE own|bins|bins_wild|xf|cleanup|helper V1.so V2.so
#
# A new version that crashes inside glibc's allocator (docs/reliability.md §1).
#   own: tests/scenarios/faults.c; its new version first corrupts the heap so that
#        free aborts before taking the arena's lock (FAULTS_KIND_FILE=heap_free): the
#        allocator still works, the update must roll back with the state digest
#        identical and the log saying what was leaked.  Then so that free aborts with
#        the lock held (heap_lock).
#   bins: faults.c again; a fast bin's list is made garbage first, then free aborts
#        before locking (heap_bins): the probe that walks the arenas' lists finds it
#        and glibc aborts on the control thread.
#   bins_wild: the same, the list leading to an address that is none (heap_bins_wild):
#        the probe faults with SIGSEGV on the control thread.
#   xf:  tests/scenarios/malloc_crash.c; a transformer does the latter during the
#        transfer.
#   helper: malloc_crash.c with MALLOC_CRASH=helper (forwarding engine, 2 threads): the
#        transformer does it on a helper thread, in that thread's arena.
#   cleanup: malloc_crash.c with MALLOC_CRASH=cleanup (general engine): the allocator
#        is usable but the rollback's free of a transformed object aborts.
# A crash with the lock held leaves a lock nobody will release: the process must end
# within a bounded time with exit status 70, its log and stderr holding the report
# (what crashed, where, that the allocator's lock is held, that the process ends), and
# `kitsune update` must print that outcome, not hang.
# With TRAP=failalloc.so the program runs with that allocator preloaded and every
# update asks for `--fault crash_path_alloc`: from the crash handler until the old
# context decided that malloc works, any malloc, calloc, realloc or free on the main
# thread ends the process with status 99 and "failalloc: ... on the crash path".  The
# own mode then also runs the other crashes (abort, SIGSEGV, SIGFPE) through it.
set -u
kit=$1 mode=$2 v1=$3 v2=$4
. "$(dirname "$0")/common.sh"
export KITSUNE_UPDATE_TIMEOUT_MS=2000
export FAULTS_KIND_FILE=$tmp/kind
: >"$FAULTS_KIND_FILE"
fault=${TRAP:+--fault crash_path_alloc}
[ "$mode" = cleanup ] && export MALLOC_CRASH=cleanup
[ "$mode" = helper ] && export MALLOC_CRASH=helper
start_program env ${TRAP:+LD_PRELOAD=$TRAP} "$kit" run "$v1"
log=$KITSUNE_DIR/$pid.log
failure_hook=show_log
show_log() { [ -s "$log" ] && { echo "--- log"; tail -20 "$log"; }; }

wait_lines "$out" '^ready$'
digests=0
digest() { # VAR: the program's state digest (faults.c prints it on SIGUSR1)
    digests=$((digests + 1))
    kill -USR1 "$pid"
    wait_lines "$out" '^digest' "$digests"
    printf -v "$1" '%s' "$(grep '^digest' "$out" | tail -1)"
}

# rolls_back KIND PATTERN: the new version fails as KIND; rolled back, reason matching.
rolls_back() {
    echo "$1" >"$FAULTS_KIND_FILE"
    reply=$(timeout $((20 * slow)) "$kit" update --json $fault "$pid" "$v2")
    grep -q '"outcome":"rolled back"' <<<"$reply" || die "$1: expected a rollback: $reply"
    reason=$(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' <<<"$reply")
    grep -Eq "$2" <<<"$reason" || die "$1: reason '$reason'"
    digest now
    [ "$now" = "$before" ] || die "$1: state changed ($before -> $now)"
    "$kit" status --json "$pid" | grep -q '"version":0' || die "$1: not in the old version"
    frozen=$(sed -n 's/.*"pause_ms":\([0-9.]*\).*/\1/p' <<<"$reply")
    echo "$1: rolled back, state identical, frozen $frozen ms ($reason)"
}

# ends WHY: the next update leaves the allocator unusable; the process must end, the
# report saying WHY (grep -E).
ends() {
    local t0 t1 rc status
    t0=$(now_ms)
    reply=$(timeout $((20 * slow)) "$kit" update --json $fault "$pid" "$v2")
    rc=$?
    t1=$(now_ms)
    [ "$rc" != 124 ] || die "kitsune update hung (killed after $((20 * slow)) s)"
    grep -q '"outcome":"process ended"' <<<"$reply" || die "expected 'process ended': $reply"
    grep -q '"exit_status":70' <<<"$reply" || die "no exit status in the reply: $reply"
    wait_exit "$pid" 10 || die "the process did not end"
    wait "$pid"
    status=$?
    local ended=$pid
    pid=
    grep -q 'on the crash path' "$err" && die "the crash path allocated (failalloc trapped)"
    [ "$status" = 70 ] || die "exit status $status, expected 70"
    for f in "$log" "$err"; do
        grep -Eq "FATAL: .*inside the allocator.*SIGABRT.*$1.*exit status 70" "$f" ||
            die "no report in $(basename "$f")"
    done
    frozen=$(sed -n 's/.*"pause_ms":\([0-9.]*\).*/\1/p' <<<"$reply")
    echo "process $ended ended with status 70 after $((t1 - t0)) ms (frozen $frozen ms):"
    grep FATAL "$log"
}

case $mode in
own)
    digest before
    if [ -n "${TRAP:-}" ]; then
        rolls_back abort 'abort\(\) \(SIGABRT\)'
        rolls_back segv 'SIGSEGV\) at address 0x10 in faults_fail_now'
        rolls_back fpe 'SIGFPE\) at address'
    fi
    rolls_back heap_free 'abort\(\) \(SIGABRT\).*called from faults_corrupt_heap \(version 1\)'
    grep -q 'may have been inside the allocator.*still usable.*not unloaded' "$log" ||
        die "the log does not say what the rollback leaked"
    echo heap_lock >"$FAULTS_KIND_FILE"
    ends "could take every arena's lock within 1000 ms"
    ;;
bins | bins_wild)
    [ "$mode" = bins ] && echo heap_bins >"$FAULTS_KIND_FILE" || echo heap_bins_wild >"$FAULTS_KIND_FILE"
    ends "Reading the allocator's lists faulted"
    ;;
cleanup)
    ends "cleanup crashed as well: abort\(\) \(SIGABRT\).*heap is corrupt"
    ;;
xf)
    ends "could take every arena's lock within 1000 ms"
    grep -q 'while transferring the state (an object of struct item' "$log" ||
        die "the report does not say what was being transferred"
    ;;
helper)
    ends "could take every arena's lock within 1000 ms"
    grep -q 'on a helper thread while transferring the state, inside the allocator' "$log" ||
        die "the report does not say the helper crashed inside the allocator"
    ;;
*) die "unknown mode $mode" ;;
esac

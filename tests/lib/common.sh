# common.sh - what the test scripts share, sourced by each (`. "$(dirname "$0")/common.sh"`).
#
# Sourcing it makes a scratch directory $tmp with a private KITSUNE_DIR ($tmp/run) and
# the file names $out and $err for the program's output, sets $slow from
# KITSUNE_TEST_SLOW (every deadline below is multiplied by it: valgrind and sanitizer
# runs set it), and installs an EXIT trap that stops every process given to
# track_pid (SIGCONT first, in case a test stopped it, then SIGKILL, then wait) and
# removes $tmp (kept with KEEP_TMP=1).  A script that needs more cleanup sets
# cleanup_hook to a function name; one that has more to show when it fails sets
# failure_hook.
#
# Waiting is always on a condition with a deadline, never a bare sleep: wait_until
# polls a command every 10 ms.  While $pid is set, the waits fail at once if that
# process has exited, so a crashed program is reported as such and not as a timeout.

slow=${KITSUNE_TEST_SLOW:-1}
tmp=$(mktemp -d)
out=$tmp/out
err=$tmp/err
export KITSUNE_DIR=$tmp/run KITSUNE_QUIET=1
mkdir -m 700 "$KITSUNE_DIR"
pid=
tracked_pids=
cleanup_hook=
failure_hook=

# track_pid PID...: stop these processes, and the children they made, when the script
# exits.
track_pid() { tracked_pids="$tracked_pids $*"; }

# kill_tree PID: PID and its descendants, by PID (children first found, then killed).
kill_tree() {
    local p
    for p in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$p"; done
    kill -CONT "$1" 2>/dev/null
    kill -9 "$1" 2>/dev/null
}

common_cleanup() {
    [ -n "$cleanup_hook" ] && "$cleanup_hook"
    local p
    exec 2>/dev/null # no "Killed" notices of the jobs stopped here
    for p in $tracked_pids; do kill_tree "$p"; done
    for p in $tracked_pids; do wait "$p" 2>/dev/null; done
    [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap common_cleanup EXIT

# start_program COMMAND...: runs COMMAND in the background with stdout in $out and
# stderr in $err (emptied first); its PID is $pid, tracked.
start_program() {
    : >"$out" # now: the job's own redirection truncates only once it has started
    : >"$err"
    "$@" >"$out" 2>"$err" &
    pid=$!
    track_pid "$pid"
}

# die MESSAGE: fails the test, showing the end of the program's output.
die() {
    echo "FAILED: $*"
    if [ -s "$out" ]; then echo "--- program output"; tail -40 "$out"; fi
    if [ -s "$err" ]; then echo "--- program stderr"; tail -40 "$err"; fi
    [ -n "$failure_hook" ] && "$failure_hook"
    exit 1
}

# wait_until SECONDS WHAT COMMAND...: until COMMAND succeeds, at most SECONDS x $slow;
# dies with "timed out waiting for WHAT" (or "program exited ..." once $pid is gone).
wait_until() {
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * slow * 100; i++)); do
        "$@" && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            "$@" && return 0
            die "program exited while waiting for $what"
        fi
        sleep 0.01
    done
    die "timed out waiting for $what"
}

# count_lines FILE PATTERN: how many lines of FILE match PATTERN (0 if no FILE).
count_lines() {
    local n
    n=$(grep -c -- "$2" "$1" 2>/dev/null)
    echo "${n:-0}"
}

has_lines() { [ "$(count_lines "$1" "$2")" -ge "$3" ]; }

# wait_lines FILE PATTERN [COUNT]: until COUNT (1) lines of FILE match, at most 10 s.
wait_lines() {
    wait_until 10 "'$2' (x${3:-1}) in $(basename "$1")" has_lines "$1" "$2" "${3:-1}"
}

# wait_exit PID SECONDS: until PID has ended; returns 1 if it is still running after
# SECONDS x $slow.
wait_exit() {
    local i
    for ((i = 0; i < $2 * slow * 100; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.01
    done
    return 1
}

now_ms() { date +%s%3N; }

#!/bin/bash
# run_private_files.sh KITSUNE PROGRAM.so
#
# A process under kitsune keeps PID.sock and PID.log in the private directory while it
# runs, and removes them when it ends: by returning from main, by a signal whose
# default action ends it (SIGTERM), by a fault.  What a process that could not clean
# up (SIGKILL, _exit) leaves, `kitsune clean` removes - only for processes that no
# longer exist - and `kitsune run` removes silently.
set -u
kit=$1 prog=$2
. "$(dirname "$0")/common.sh"
list_private_dir() { ls -l "$KITSUNE_DIR"; }
failure_hook=list_private_dir

# start HOW: runs the program in the background; sets pid once it is ready.
start() {
    start_program "$kit" run "$prog" "$@"
    wait_lines "$out" '^ready$'
    [ -S "$KITSUNE_DIR/$pid.sock" ] && [ -f "$KITSUNE_DIR/$pid.log" ] ||
        die "process $pid should have its socket and log while it runs"
}

# ended HOW WANT_RC: waits for the process; its status must be WANT_RC and its files gone.
ended() {
    wait "$pid"
    local rc=$?
    [ "$rc" = "$2" ] || die "$1: exit status $rc, want $2"
    [ -e "$KITSUNE_DIR/$pid.sock" ] && die "$1: $pid.sock left behind"
    [ -e "$KITSUNE_DIR/$pid.log" ] && die "$1: $pid.log left behind"
    echo "$1: files removed"
}

start exit
ended "return from main" 0

start
kill -TERM "$pid"
ended "SIGTERM" 143

start crash
ended "SIGSEGV" 139

# What cannot clean up: SIGKILL and _exit leave the files; `kitsune clean` removes
# them, and only them: a running process keeps its own.
start
live=$pid
# clean_after WHAT: the files of the ended process $pid are there, and clean removes them.
clean_after() {
    local p=$pid f out
    [ -S "$KITSUNE_DIR/$p.sock" ] || die "$1: the socket of process $p should be left"
    out=$("$kit" clean) || die "kitsune clean failed: $out"
    echo "$out"
    for f in sock log; do
        grep -q "removed $KITSUNE_DIR/$p.$f (process $p no longer exists)" <<<"$out" ||
            die "kitsune clean should say it removed $p.$f: $out"
        [ -e "$KITSUNE_DIR/$p.$f" ] && die "kitsune clean left $p.$f"
    done
    [ -S "$KITSUNE_DIR/$live.sock" ] && [ -f "$KITSUNE_DIR/$live.log" ] ||
        die "kitsune clean removed the files of running process $live"
}
start
kill -9 "$pid"
wait "$pid" 2>/dev/null
clean_after SIGKILL
start _exit
wait "$pid"
clean_after _exit
[ "$("$kit" clean)" = "nothing to remove" ] || die "a second clean should find nothing"
"$kit" status "$live" >/dev/null || die "the running process must still answer"
kill -TERM "$live"
pid=$live
ended "SIGTERM after clean" 143

# `kitsune run` sweeps too.
start
kill -9 "$pid"
wait "$pid" 2>/dev/null
dead=$pid
start
[ -e "$KITSUNE_DIR/$dead.sock" ] && die "kitsune run should remove $dead.sock of an exited process"
kill -TERM "$pid"
ended "SIGTERM" 143
echo "private files: removed at every end; kitsune clean and run remove what is left"

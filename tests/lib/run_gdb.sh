#!/bin/bash
# run_gdb.sh KITSUNE GDB V1.so V2.so
#
# gdb attached to a kitsune process must come back within 10 s (x KITSUNE_TEST_SLOW)
# with a backtrace naming the running version's function: idle_in_v1 on a fresh
# process, idle_in_v2 (and not idle_in_v1) after an update (tests/scenarios/gdb_attach.c);
# and idle_in_v1 in the program's forked child, before and after the parent's update.
# Exits 77 (skipped) only if this machine lets gdb attach to no process at all.
set -u
kit=$1 gdb=$2 v1=$3 v2=$4
. "$(dirname "$0")/common.sh"

# attach PID: gdb's backtrace of PID's main thread into $tmp/gdb, its time in $ms.
attach() {
    local t0
    t0=$(date +%s%N)
    timeout -k 5 $((20 * slow)) "$gdb" -nx -p "$1" -batch -ex bt >"$tmp/gdb" 2>&1 </dev/null
    ms=$((($(date +%s%N) - t0) / 1000000))
}

# Can gdb attach here at all?  Asked of a plain process, so that a kitsune process
# refusing gdb fails the test instead of skipping it.
sleep 60 &
probe=$!
track_pid "$probe"
attach "$probe"
if grep -q 'ptrace: Operation not permitted' "$tmp/gdb"; then
    scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo "not set")
    echo "SKIPPED: gdb may not attach to processes here (ptrace: Operation not permitted;"
    echo "  kernel.yama.ptrace_scope: $scope; run as root or with CAP_SYS_PTRACE)"
    exit 77
fi

# check_bt PID WANT [UNWANTED]: gdb's backtrace of PID came back in time, names WANT.
check_bt() {
    local p=$1
    shift
    attach "$p"
    [ "$ms" -le $((10000 * slow)) ] || die "gdb took $ms ms: $(tail -5 "$tmp/gdb")"
    grep -q "in $1 () at .*gdb_attach.c" "$tmp/gdb" ||
        die "the backtrace does not show $1 with its source line: $(cat "$tmp/gdb")"
    [ -z "${2:-}" ] || ! grep -q "$2" "$tmp/gdb" ||
        die "the backtrace still shows $2: $(cat "$tmp/gdb")"
    kill -0 "$p" 2>/dev/null || die "process $p died after gdb detached"
    echo "gdb -p $p: $1 in $ms ms"
}

wait_for() { wait_lines "$out" "$1"; }

start_program "$kit" run "$v1"
wait_for '^ready$'
child=$(sed -n 's/^child //p' "$out")
track_pid "$child"
check_bt "$pid" idle_in_v1
check_bt "$child" idle_in_v1
reply=$("$kit" update "$pid" "$v2" 2>&1) || die "update failed: $reply"
grep -q committed <<<"$reply" || die "update not committed: $reply"
wait_for '^running v2$'
check_bt "$pid" idle_in_v2 idle_in_v1
check_bt "$child" idle_in_v1
echo "gdb attach passed"

#!/bin/bash
# run_scenario.sh KITSUNE SOURCE.c V1.so [V2.so ...]
#
# Starts V1 under `kitsune run`, waits for "ready", then updates to each later version
# in turn.  The expected outcome of each update is "committed" unless the source says
# otherwise with a line "kitsune-test: outcomes=committed,refused,...".  After every
# committed update the program must print one more PASS line and no FAIL line.
# Lines "kitsune-test: expect KEY OP N" (OP one of = <= >=) check a count of the first
# update's reply, e.g. "kitsune-test: expect objects_transformed = 0"; objects_visited
# is the general engine's count of heap objects it visited, from the program's log.
# "kitsune-test: faults=,quiesce" injects a fault (kitsune update --fault) into update N.
# "kitsune-test: dies-with=TEXT": after the last update the program must end (within
# 10 s) with TEXT on its stderr (a fault report after the commit).
set -u
kit=$1 src=$2
shift 2
first=$1
shift
directives=$(grep 'kitsune-test:' "$src")
IFS=, read -r -a expected <<<"$(grep -o 'outcomes=[a-z_,]*' <<<"$directives" | cut -d= -f2)"
IFS=, read -r -a faults <<<"$(grep -o 'faults=[a-z_,]*' <<<"$directives" | cut -d= -f2)"
IFS=, read -r -a args <<<"$(grep -o 'args=[A-Za-z0-9_,]*' <<<"$directives" | cut -d= -f2)"
max_quiesce=$(grep -o 'kitsune-test: max-quiesce-ms=[0-9]*' "$src" | cut -d= -f2)
self_update=$(grep -c 'kitsune-test: self' "$src")
tree=$(grep -c 'kitsune-test: tree' "$src")
# "kitsune-test: tree-says=TEXT": what `kitsune update --tree` must say on stderr.
tree_says=$(grep -o 'kitsune-test: tree-says=.*' "$src" | sed 's/.*tree-says=//; s/ *$//')
check_flag=$(grep -q 'kitsune-test: .*check' "$src" && echo --check)
# "kitsune-test: reason=TEXT": the reason of an update that does not commit contains
# TEXT (" ... " in TEXT stands for anything between its parts); several such lines:
# one for each such update in turn (the last one repeats).
mapfile -t want_reasons < <(grep -o 'kitsune-test: .*reason=[^*]*' "$src" | sed 's/.*reason=//; s/ *$//')
not_committed=0
dies_with=$(grep -o 'kitsune-test: dies-with=.*' "$src" | sed 's/.*dies-with=//; s/ *$//')
for kv in $(grep -o 'kitsune-test: .*env=[A-Za-z0-9_=.]*' "$src" | grep -o 'env=[A-Za-z0-9_=.]*' | cut -d= -f2-); do
    export "${kv?}"
done
mapfile -t expects < <(grep -o 'kitsune-test: expect [a-z_]* [<>=]* [0-9]*' "$src" | cut -d' ' -f3-)
export KITSUNE_TEST_NEXT=${1:-}
# "kitsune-test: needs-root": the program does what only root may (chroot); skipped
# (exit 77, the test's SKIP_RETURN_CODE) for anyone else.
if grep -q 'kitsune-test: needs-root' "$src" && [ "$(id -u)" != 0 ]; then
    echo "skipped: $(basename "$src") needs root (it chroots); run the suite as root"
    exit 77
fi
. "$(dirname "$0")/common.sh"
# KITSUNE_TEST_WRAPPER runs the program under a tool (tests/lib/memcheck.sh: valgrind).
start_program ${KITSUNE_TEST_WRAPPER:-} "$kit" run "$first" "${args[@]}"

# reason_matches REPLY WANT: the parts of WANT between " ... " appear in REPLY in order.
reason_matches() {
    local rest=$1 want=$2 part
    for (( ; ; )); do
        part=${want%% ... *}
        case $rest in *"$part"*) rest=${rest#*"$part"} ;; *) return 1 ;; esac
        [ "$part" = "$want" ] && return 0
        want=${want#*" ... "}
    done
}

wait_for() { wait_lines "$out" "$1" "$2"; }

wait_for '^ready$' 1
if [ "$self_update" -gt 0 ]; then
    # The program updates itself; it must report exactly like an external update.
    wait_for '^\(PASS\|FAILED\)' 1
    grep -q '^FAIL' "$out" && die "a check failed after the self-requested update"
    "$kit" status --json "$pid" >"$tmp/status" 2>&1 ||
        die "program no longer answers after its self-requested update: $(cat "$tmp/status")"
    echo "scenario passed: self-requested update"
    exit 0
fi
passes=0
step=0
for so in "$@"; do
    want=${expected[$step]:-committed}
    if [ "$tree" -gt 0 ]; then
        reply=$("$kit" update --json --tree "$pid" "$so" 2>"$tmp/tree_err")
        cat "$tmp/tree_err"
        track_pid $(grep -o '{"pid":[0-9]*' <<<"$reply" | cut -d: -f2)
        procs=$(grep -c '"outcome"' <<<"$reply")
        [ -z "$tree_says" ] || grep -qF -- "$tree_says" "$tmp/tree_err" ||
            die "kitsune update --tree should say '$tree_says'"
        [ "$procs" -ge 2 ] || die "--tree updated only $procs process(es): $reply"
        got=$(sed -n 's/.*"outcome":"\([a-z ]*\)".*/\1/p' <<<"$reply" | tr ' ' _ | sort -u)
    else
        procs=1
        fault=${faults[$step]:-}
        reply=$("$kit" update --json $check_flag ${fault:+--fault "$fault"} "$pid" "$so")
        got=$(sed -n 's/.*"outcome":"\([a-z ]*\)".*/\1/p' <<<"$reply" | tr ' ' _)
    fi
    [ "$got" = "$want" ] || die "update $((step + 1)) to $so: expected $want, got: $reply"
    if [ "$got" != committed ] && [ "${#want_reasons[@]}" -gt 0 ]; then
        want_reason=${want_reasons[$not_committed]:-${want_reasons[-1]}}
        not_committed=$((not_committed + 1))
        reason_matches "$reply" "$want_reason" || die "reason should contain '$want_reason': $reply"
        echo "  reason: $(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' <<<"$reply")"
    fi
    echo "update $((step + 1)) to $(basename "$so"): $got"
    if [ -n "$max_quiesce" ] && [ "$got" = committed ]; then
        q=$(sed -n 's/.*"quiesce":\([0-9.]*\).*/\1/p' <<<"$reply")
        awk -v q="$q" -v m="$max_quiesce" 'BEGIN { exit !(q <= m) }' ||
            die "quiesce took $q ms, more than $max_quiesce ms"
        echo "  quiesce $q ms (limit $max_quiesce ms)"
    fi
    if [ "$step" -eq 0 ]; then
        for e in "${expects[@]}"; do
            read -r key op val <<<"$e"
            n=$(sed -n "s/.*\"$key\":\([0-9.]*\).*/\1/p" <<<"$reply")
            [ "$key" = objects_visited ] && n=$(sed -n \
                's/.*general engine: \([0-9]*\) heap object(s) visited.*/\1/p' \
                "$KITSUNE_DIR/$pid.log" 2>/dev/null | tail -1)
            awk -v n="$n" -v op="$op" -v v="$val" 'BEGIN {
                exit !(n != "" && ((op == "=" && n == v) || (op == "<=" && n <= v) ||
                                   (op == ">=" && n >= v))) }' ||
                die "expected $key $op $val, got ${n:-nothing}: $reply"
            echo "  $key = $n ($op $val)"
        done
    fi
    if [ "$got" = committed ]; then
        passes=$((passes + procs))
        wait_for '^\(PASS\|FAILED\)' "$passes"
    fi
    grep -q '^FAIL' "$out" && die "a check failed after update $((step + 1))"
    if [ -n "$dies_with" ] && [ "$((step + 1))" -eq $# ]; then
        wait_exit "$pid" 10 || die "the program should have ended with '$dies_with'"
        grep -qF -- "$dies_with" "$err" || die "its stderr should say '$dies_with'"
        echo "  ended with: $(grep -F -- "$dies_with" "$err")"
        echo "scenario passed: $((step + 1)) update(s), then the expected end"
        exit 0
    fi
    kill -0 "$pid" 2>/dev/null || die "program died after update $((step + 1))"
    step=$((step + 1))
done
echo "scenario passed: $((step)) update(s)"

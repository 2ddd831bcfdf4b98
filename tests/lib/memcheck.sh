#!/bin/bash
# memcheck.sh KITSUNE SCENARIO_SRC_DIR SCENARIO_SO_DIR NAME...
#
# Runs update scenarios with the program under valgrind memcheck and fails on any
# memory error it reports (invalid reads or writes, uses of uninitialised values,
# invalid frees).  Leaks are not checked: the harness stops programs with SIGKILL.
set -u
kit=$1 src=$2 sos=$3
shift 3
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export KITSUNE_TEST_SLOW=20
fail=0
for name in "$@"; do
    versions=$(ls "$sos/${name}"_v[0-9].so | sort)
    # --vgdb=no: valgrind makes gdbserver FIFOs in /tmp that a SIGKILLed program leaves behind.
    export KITSUNE_TEST_WRAPPER="valgrind --quiet --vgdb=no --error-limit=no --log-file=$logs/$name.%p"
    if ! "$(dirname "$0")/run_scenario.sh" "$kit" "$src/$name.c" $versions >"$logs/$name.out" 2>&1; then
        echo "memcheck: scenario $name failed under valgrind"
        cat "$logs/$name.out"
        fail=1
        continue
    fi
    errors=$(cat "$logs/$name".[0-9]* 2>/dev/null | grep -cE 'Invalid (read|write|free)|uninitialised|Mismatched free|overlap')
    if [ "$errors" -ne 0 ]; then
        echo "memcheck: $name: $errors error(s)"
        cat "$logs/$name".[0-9]*
        fail=1
    else
        echo "memcheck: $name clean"
    fi
done
exit $fail

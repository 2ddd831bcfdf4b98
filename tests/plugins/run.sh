#!/bin/bash
# run.sh CC [OPT] - the plugins test (docs/plugins.md): a program that dlopens its own
# modules, built with compiler CC through cmake/kitsune.mk, is run under kitsune and
# updated from version 1 to 2:
#   1. to v2norule: refused before the pause (the removed module's state is dropped
#      without a rule), the program goes on in version 1;
#   2. to v2fail: a module's migration fails, the update rolls back completely: the
#      handles, callbacks and state are version 1's, as before;
#   3. to v2 with a fault injected at the commit: rolled back after the new program
#      opened and closed modules in update mode; all of it undone;
#   4. to v2: committed; modules opened by absolute path (RTLD_NOW) and by a
#      directory scan (RTLD_LAZY) are version 2's, their statics kept, the callbacks
#      registered with the main program lead to the new code, the table they were
#      handed is the new main program's, the added module is initialised and the
#      removed one's handle finds nothing; the old modules (and after the rollback
#      the new ones) are no longer mapped;
#   5. to v2 again (a self-update): every module is reloaded, its state kept;
#   6. (Make builds) a module without a summary: refused.
# The program checks its own state on request ("report N PASS|FAIL ...").
# Environment: TOP, BUILD, KITC, XFGEN, KITSUNE_CLI, WORK; KITSUNE_TEST_SLOW.
# run.sh --prebuilt DIR: the same on versions built by CMake (kitsune_add_module and
# kitsune_add_program's MODULES, tests/CMakeLists.txt) in DIR/v1, DIR/v2, ...
set -u
cc=$1 opt=${2:-O2}
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
if [ "$cc" = --prebuilt ]; then
    vdir=$opt cc="CMake's compiler" opt=O2
else
    command -v make >/dev/null 2>&1 || { echo "make not installed: skipped"; exit 77; }
    command -v "$cc" >/dev/null 2>&1 || { echo "$cc not installed: skipped"; exit 77; }
    vdir=$WORK
    if ! (cd "$WORK" && make -s -f "$TOP/tests/plugins/Makefile" TOP="$TOP" BUILD="$BUILD" \
              CC="$cc" OPT="-$opt" KITC="$KITC" XFGEN="$XFGEN" >make.txt 2>&1); then
        echo "FAILED: building the plugins test with $cc -$opt"
        cat "$WORK/make.txt"
        exit 1
    fi
fi
. "$(dirname "$0")/../lib/common.sh"
unset KITSUNE_QUIET # the check for retired-data accesses below reads the log on stderr
trigger=$WORK/report-now
start_program "$KITSUNE_CLI" run "$vdir/v1/app.so" "$trigger"

# wait_for PATTERN COUNT: until COUNT lines of the program's output match.
wait_for() { wait_lines "$out" "$1" "$2"; }

reports=0
# check VERSION: the program's own check of its state passes in that version.
check() {
    reports=$((reports + 1))
    touch "$trigger"
    wait_for "^report $reports " 1
    line=$(grep "^report $reports " "$out")
    case $line in
        "report $reports PASS version=$1 "*) echo "  $line" ;;
        *) die "state check after step: $line" ;;
    esac
    grep -q '^FAIL' "$out" && die "the program reported a failure"
}

# update SO OUTCOME REASON [OPTION...]: kitsune update gives OUTCOME, and a reason
# containing REASON.
update() {
    reply=$("$KITSUNE_CLI" update --json "${@:4}" "$pid" "$1")
    got=$(sed -n 's/.*"outcome":"\([a-z ]*\)".*/\1/p' <<<"$reply")
    [ "$got" = "$2" ] || die "update to $1: expected $2, got: $reply"
    case $reply in *"$3"*) ;; *) die "update to $1: the reason should contain '$3': $reply" ;; esac
    echo "update to ${1#"$vdir"/}: $got"
}

# loaded NAME COUNT: the process maps COUNT copies of module NAME (each is loaded from a
# private memfd "kitsune:NAME.so"; a retired or discarded one is no longer mapped).
loaded() {
    n=$(grep "memfd:kitsune:$1.so" "/proc/$pid/maps" | awk '{print $5}' | sort -u | wc -l)
    [ "$n" -eq "$2" ] || die "module $1: $n copies mapped, expected $2: $(grep kitsune: "/proc/$pid/maps")"
}

wait_for '^ready$' 1
check 1
loaded alpha 1
update "$vdir/v2norule/app.so" refused 'delta@delta.c/count'
check 1
update "$vdir/v2fail/app.so" "rolled back" 'beta refuses its state'
check 1
loaded alpha 1
loaded beta 1
loaded gamma 0
# Rolled back at the commit, after the new program opened gamma and closed delta's
# handle: gamma goes, delta's handle leads to delta again.
update "$vdir/v2/app.so" "rolled back" 'injected fault: commit' --fault commit
check 1
loaded gamma 0
loaded delta 1
update "$vdir/v2/app.so" committed ''
check 2
loaded alpha 1
loaded beta 1
loaded gamma 1
loaded delta 0
status=$("$KITSUNE_CLI" status "$pid")
for m in alpha beta gamma; do
    grep -q "^    $m  *$vdir/v2/plugins/$m.so$" <<<"$status" || die "kitsune status: no module $m: $status"
done
grep -q "^    delta " <<<"$status" && die "kitsune status lists the removed module: $status"
check 2
# To itself: every module, the one the new program opened (gamma) too, is replaced by
# a fresh copy of its file.
update "$vdir/v2/app.so" committed ''
check 2
loaded alpha 1
loaded gamma 1
kill -0 "$pid" 2>/dev/null || die "the program died"
grep -q 'access to the retired' "$err" && die "an access to retired data"
kill "$pid"
wait "$pid" 2>/dev/null
pid=
# 6. A module in the version's directory without a summary (zeta, built by a plain
#    cc -shared): kitsune cannot update it, so every update is refused.
if [ -e "$vdir/v2plain/app.so" ]; then
    start_program "$KITSUNE_CLI" run "$vdir/v2plain/app.so" "$trigger"
    wait_for '^ready$' 1
    update "$vdir/v2plain/app.so" refused 'zeta.so (beside the version but without a type summary'
fi
echo "plugins test passed with $cc -$opt"

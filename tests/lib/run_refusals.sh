#!/bin/bash
# run_refusals.sh KITSUNE CC V1.so V2.so V3.so
#
# Every request below must be refused before the program pauses, leave it running with
# its state intact, and say why.  V3.so needs a symbol nothing defines.  A final update
# to V2.so must commit and find the state as it was.
set -u
kit=$1 cc=$2 v1=$3 v2=$4 v3=$5
. "$(dirname "$0")/common.sh"
chmod 755 "$tmp" # the other-user cases below read files in it
start_program "$kit" run "$v1"

ticks() { count_lines "$out" '^tick'; }

# refused NAME EXPECTED-REASON-PART -- COMMAND...: the update must be refused.
refused() {
    local name=$1 want=$2
    shift 3
    local before reply
    before=$(ticks)
    reply=$("$@" 2>&1)
    local rc=$?
    [ $rc -ne 0 ] || die "$name: update was not refused: $reply"
    grep -q -- "$want" <<<"$reply" || die "$name: reason should mention '$want': $reply"
    kill -0 "$pid" 2>/dev/null || die "$name: program died"
    "$kit" status --json "$pid" | grep -q '"version":0' || die "$name: program no longer answers or changed version"
    wait_lines "$out" '^tick' $((before + 1))
    echo "refused as expected: $name"
}

wait_lines "$out" '^ready$'
refused "missing file" "No such file" -- "$kit" update "$pid" "$tmp/missing.so"
printf 'int not_kitsune(void) { return 1; }\n' >"$tmp/plain.c"
"$cc" -shared -fPIC -o "$tmp/plain.so" "$tmp/plain.c"
refused "not a kitsune program" "not a kitsune program" -- "$kit" update "$pid" "$tmp/plain.so"
refused "not an ELF file" "not an ELF file" -- "$kit" update "$pid" "$tmp/plain.c"
refused "unresolved symbol" "undefined symbol kitsune_test_missing_symbol" -- "$kit" update "$pid" "$v3"
cp "$v2" "$tmp/writable.so"
chmod 666 "$tmp/writable.so"
refused "writable by others" "writable by group or others" -- "$kit" update "$pid" "$tmp/writable.so"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    cp "$v2" "$tmp/foreign.so"
    chown nobody "$tmp/foreign.so"
    chmod 644 "$tmp/foreign.so"
    refused "another user's file" "not by this process's user or root" -- "$kit" update "$pid" "$tmp/foreign.so"
    cp "$v2" "$tmp/for_nobody.so"
    chmod 644 "$tmp/for_nobody.so"
    refused "request from another user" "not running under kitsune\|denied" -- \
        runuser -u nobody -- "$kit" update "$pid" "$tmp/for_nobody.so"
else
    echo "skipped the other-user cases (needs root and user nobody)"
fi
reply=$("$kit" update --json "$pid" "$v2") || die "final update failed: $reply"
wait_lines "$out" '^\(PASS\|FAILED\)'
grep -q '^PASS$' "$out" || die "state was not intact after the refusals"
echo "refusals passed"

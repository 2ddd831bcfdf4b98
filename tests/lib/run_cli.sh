#!/bin/bash
# run_cli.sh KITSUNE KITC XFGEN V1.so V2.so
#
# The commands' interface: every command and subcommand has --help (to stdout, exit 0)
# and --version; a usage error goes to stderr with exit 2 and nothing on stdout;
# `kitsune run --help` does not try to run a file named --help.  Then `kitsune status`
# on status.c: the running version's file, uptime, the update history (a rolled-back
# and a committed update, with time, outcome, pause and reason) and the threads with
# the update point each last passed, as text and as JSON.
set -u
kit=$1 kitc=$2 xfgen=$3 v1=$4 v2=$5
. "$(dirname "$0")/common.sh"

# expect RC STDOUT-PATTERN STDERR-PATTERN COMMAND...: exit status and where output went
# ("" = must be empty).
expect() {
    local rc=$1 outpat=$2 errpat=$3
    shift 3
    "$@" >"$tmp/o" 2>"$tmp/e"
    local got=$?
    [ "$got" = "$rc" ] || die "$*: exit $got, want $rc ($(head -3 "$tmp/e"))"
    for s in o e; do
        local pat=$outpat
        [ $s = e ] && pat=$errpat
        if [ -z "$pat" ]; then
            [ -s "$tmp/$s" ] && die "$*: std$([ $s = o ] && echo out || echo err) not empty: $(head -3 "$tmp/$s")"
        else
            grep -q -- "$pat" "$tmp/$s" || die "$*: no '$pat' in std$([ $s = o ] && echo out || echo err): $(head -3 "$tmp/$s")"
        fi
    done
}

for c in "$kit" "$kit run" "$kit update" "$kit status" "$kit clean" "$kitc" "$xfgen"; do
    expect 0 '^usage: ' '' $c --help
done
expect 0 '^usage: ' '' "$kit" help
for c in "$kit" "$kitc" "$xfgen"; do
    expect 0 "^$(basename "$c") [0-9]" '' "$c" --version
done
expect 2 '' '^usage: ' "$kit"
expect 2 '' "unknown command 'frobnicate'" "$kit" frobnicate
expect 2 '' '^usage: kitsune run' "$kit" run
expect 2 '' 'unknown option --bogus' "$kit" run --bogus x.so
expect 2 '' 'unknown option --bogus' "$kit" update --bogus 1 x.so
expect 2 '' 'missing PID or NEW.so' "$kit" update 1
expect 2 '' 'missing PID' "$kit" status
expect 2 '' 'not a process id' "$kit" status notapid
expect 2 '' '^usage: kitc' "$kitc" --bogus
expect 2 '' '^usage: xfgen' "$xfgen" --bogus
echo "help, version and usage errors: as documented"

start_program "$kit" run "$v1"
wait_lines "$out" '^ready$'
# Both threads have passed their update points once status lists the worker's.
worker_seen() { st=$("$kit" status "$pid") && grep -q 'last update point: worker-loop$' <<<"$st"; }
wait_until 10 "the worker thread in kitsune status" worker_seen
grep -q "^process $pid: version 0, .*$(basename "$v1")\$" <<<"$st" || die "status header: $st"
grep -q '^  up [0-9.]* s (since ' <<<"$st" || die "no uptime: $st"
grep -q '^  updates: 0$' <<<"$st" || die "history before any update: $st"
grep -q "^    $pid *main *last update point: main-loop\$" <<<"$st" || die "main thread: $st"
grep -q '^    [0-9]* *last update point: worker-loop$' <<<"$st" || die "worker thread: $st"

"$kit" update --fault migrate "$pid" "$v2" >/dev/null && die "a fault must roll back"
"$kit" update "$pid" "$v2" >/dev/null || die "update to v2"
st=$("$kit" status "$pid")
json=$("$kit" status --json "$pid")
echo "$st"
grep -q "^process $pid: version 1, .*$(basename "$v2")\$" <<<"$st" || die "after update: $st"
grep -q '^  updates: 2$' <<<"$st" || die "history count: $st"
grep -q "^    [0-9-]* [0-9:]*  rolled back  pause [0-9.]* ms  0 -> [01]  .*$(basename "$v2"): .*fault" \
    <<<"$st" || die "rolled-back entry: $st"
grep -q "^    [0-9-]* [0-9:]*  committed    pause [0-9.]* ms  0 -> 1  .*$(basename "$v2")\$" \
    <<<"$st" || die "committed entry: $st"
grep -q '"history":\[{"time":[0-9.]*,"outcome":"rolled back".*},{"time":[0-9.]*,"outcome":"committed","pause_ms":[0-9.]*' \
    <<<"$json" || die "JSON history: $json"
grep -q '"threads":\[.*"point":"worker-loop"' <<<"$json" || die "JSON threads: $json"
grep -q '"uptime_s":[0-9.]*' <<<"$json" || die "JSON uptime: $json"
echo "cli: passed"

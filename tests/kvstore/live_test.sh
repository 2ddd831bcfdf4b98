#!/bin/bash
# live_test.sh KITSUNE CHECKER KVSTORE_BUILD_DIR
#
# kvstore updated live under load.  Starts release 1 under `kitsune run` with 4
# workers, loads 200,000 keys, and keeps redis-benchmark (50 clients, pipeline 16) and
# the checker (20 persistent connections with exact INCR counters) running while the
# server is updated 1 -> 2 -> 3 -> 4 and then 4 -> 4 twenty times.  Checks: every
# update commits; redis-benchmark never sees an error or a closed connection; the
# counters are exact and their connections stay open; the preloaded keys read back
# (those given a TTL after release 2 must have expired); expiry, lists and CLIENT
# SETNAME work once their release runs.  Prints each update's pause and the worst
# latency the checker saw around it.
#
# Environment: KVSTORE_KEYS (200000), KVSTORE_PLAN (the releases to update into, in
# order; default "2 3 4" and twenty times 4).
set -u
kit=$1 checker=$2 dir=$3
keys=${KVSTORE_KEYS:-200000}
plan=${KVSTORE_PLAN:-"2 3 4$(printf ' 4%.0s' $(seq 20))"}
expire_every=1000 # preloaded keys i % 1000 == 0 get a 1 s TTL once release 2 runs

. "$(dirname "$0")/../lib/common.sh"
# A watchdog ends the test (through the TERM trap and the cleanup) if anything hangs.
(sleep $((200 * slow)) && kill -TERM $$) 2>/dev/null &
track_pid $!
trap 'echo "FAILED: interrupted or timed out"; exit 1' TERM INT
show_checker() { echo "--- checker output"; tail -5 "$tmp/checker.out" 2>/dev/null; }
failure_hook=show_checker
fail() { die "$@"; }
cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@"; }
expect() { # EXPECTED COMMAND...: one reply must equal EXPECTED
    local want=$1 got
    shift
    got=$(cli "$@") || fail "redis-cli $*: failed"
    [ "$got" = "$want" ] || fail "$*: expected '$want', got '$got'"
}
json() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }

# ---- start release 1 and load the keys ----
start_program "$kit" run "$dir/kvstore-v1.so" 0 4
server=$pid
listening() { port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$out"); [ -n "$port" ]; }
wait_until 10 "kvstore to listen" listening
echo "kvstore 1 running: pid $server, port $port, 4 workers"
timeout 60 "$checker" "$port" load "$keys" || fail "preloading $keys keys"

# A connection opened now and used again at the very end (bash's /dev/tcp).
exec 5<>"/dev/tcp/127.0.0.1/$port" || fail "probe connection"
probe() { # COMMAND: sends an inline command on the probe connection, prints the reply
    local line
    printf '%s\r\n' "$1" >&5
    IFS= read -r -t 5 line <&5 || fail "probe connection: no reply to $1"
    line=${line%$'\r'}
    if [[ $line == \$* && $line != '$-1' ]]; then
        IFS= read -r -t 5 line <&5 || fail "probe connection: no bulk data"
        line=${line%$'\r'}
    fi
    printf '%s\n' "$line"
}
[ "$(probe 'SET probe:v1 opened-in-release-1')" = "+OK" ] || fail "probe SET"

# ---- load: the checker and redis-benchmark, until the end ----
"$checker" "$port" run 20 16 >"$tmp/checker.out" 2>&1 &
chk=$!
track_pid "$chk"
bench_loop() {
    local i=0 tests
    while [ ! -e "$tmp/stop" ]; do
        tests=set,get,incr
        [ -e "$tmp/lists" ] && tests=set,get,incr,lpush,rpush,lpop,rpop,lrange_100
        i=$((i + 1))
        timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P 16 -n 100000 -r 100000 \
            -t "$tests" --csv >"$tmp/bench.$i.out" 2>"$tmp/bench.$i.err"
        echo "$? $i $tests" >>"$tmp/bench.status"
    done
}
bench_loop 2>/dev/null &
bench=$!
track_pid "$bench"
wait_lines "$tmp/checker.out" 'running'

# ---- checks of each release's features ----
check_release() {
    case $1 in
    2)
        expect OK set exp:a 1
        expect 1 expire exp:a 100
        expect 100 ttl exp:a
        expect 1 persist exp:a
        expect -1 ttl exp:a
        expect -2 ttl exp:none
        for ((i = 0; i < keys; i += expire_every)); do printf 'EXPIRE pre:%07d 1\n' "$i"; done |
            cli >"$tmp/expire.out" || fail "EXPIRE on preloaded keys"
        [ "$(grep -c '^1$' "$tmp/expire.out")" -eq $(((keys + expire_every - 1) / expire_every)) ] ||
            fail "EXPIRE on preloaded keys did not answer 1 for each"
        echo "  release 2: EXPIRE/TTL/PERSIST work; $(((keys + expire_every - 1) / expire_every)) preloaded keys expire in 1 s"
        ;;
    3)
        expect 3 rpush list:a x y z
        expect 4 lpush list:a w
        expect "$(printf 'w\nx\ny\nz')" lrange list:a 0 -1
        expect w lpop list:a
        expect 3 llen list:a
        expect "WRONGTYPE Operation against a key holding the wrong kind of value" get list:a
        expect 1 exists pre:0000001
        touch "$tmp/lists"
        echo "  release 3: LPUSH/RPUSH/LPOP/LRANGE/LLEN work; redis-benchmark adds list tests"
        ;;
    4)
        id=$(cli client id)
        [ "$id" -gt "$conns_before" ] ||
            fail "CLIENT ID $id: the client id counter did not carry over ($conns_before before)"
        [ "$(probe 'CLIENT SETNAME live-test')" = "+OK" ] || fail "CLIENT SETNAME"
        [ "$(probe 'CLIENT GETNAME')" = "live-test" ] || fail "CLIENT GETNAME"
        echo "  release 4: CLIENT SETNAME works on a connection opened under release 1;" \
            "client ids continue ($id)"
        ;;
    esac
}

# ---- the updates ----
cur=1 n=0 worst_all=0
window_lines() { grep -c window_max "$tmp/checker.out"; }
window_read() { # waits for the checker's next window line and prints its value
    local before=$1
    kill -USR1 "$chk"
    wait_lines "$tmp/checker.out" window_max $((before + 1))
    grep window_max "$tmp/checker.out" | tail -1 | sed 's/.*=//'
}
printf '%-8s %-9s %9s %9s %9s %12s %14s\n' update release pause_ms quiesce migrate objects \
    client_max_ms >"$tmp/table"
# The same window without an update, for comparison: the machine is saturated.
window_read "$(window_lines)" >/dev/null
before=$(window_lines)
sleep 0.5
baseline=$(window_read "$before")
for v in $plan; do
    n=$((n + 1))
    kill -0 "$chk" 2>/dev/null || fail "the checker stopped before update $n"
    window_read "$(window_lines)" >/dev/null
    before=$(window_lines)
    conns_before=$(cli info | tr -d '\r' | sed -n 's/^total_connections_received://p')
    reply=$(timeout 60 "$kit" update --json "$server" "$dir/kvstore-v$v.so")
    rc=$?
    outcome=$(json outcome "$reply")
    [ $rc -eq 0 ] && [ "$outcome" = committed ] ||
        fail "update $n ($cur -> $v): exit $rc, $reply"
    sleep 0.3 # the latency window read below covers the requests just after the update
    lat=$(window_read "$before")
    pause=$(json pause_ms "$reply")
    quiesce=$(json quiesce "$reply")
    migrate=$(json migrate "$reply")
    objects=$(json objects_transformed "$reply")
    printf '%-8s %-9s %9s %9s %9s %12s %14s\n' "$n" "$cur->$v" "$pause" "$quiesce" "$migrate" \
        "$objects" "$lat" >>"$tmp/table"
    echo "update $n: release $cur -> $v committed, pause $pause ms, worst client latency $lat ms"
    worst_all=$(awk -v a="$worst_all" -v b="$lat" 'BEGIN { print (b > a ? b : a) }')
    [ "$v" != "$cur" ] && check_release "$v"
    cur=$v
done

# ---- stop the load and check everything ----
touch "$tmp/stop"
wait_exit "$bench" 60 || fail "redis-benchmark did not finish"
runs=$(wc -l <"$tmp/bench.status")
bad_runs=$(awk '$1 != 0' "$tmp/bench.status" | wc -l)
errors=$(cat "$tmp"/bench.*.err | grep -v '^$' | sort | uniq -c | head -5)
[ "$bad_runs" -eq 0 ] || fail "redis-benchmark failed in $bad_runs of $runs runs: $errors"
[ -z "$errors" ] || fail "redis-benchmark reported: $errors"
kill -TERM "$chk"
wait "$chk"
chk_rc=$?
chk_summary=$(grep 'result=' "$tmp/checker.out")
chk_pid=$chk
chk=""
[ $chk_rc -eq 0 ] || fail "checker: $(tail -3 "$tmp/checker.out")"
if [[ " $plan " == *" 2 "* ]]; then
    # The active cycle walks the whole table in a few seconds; nobody reads these keys.
    all_expired() {
        expired=$(cli info | tr -d '\r' | sed -n 's/^expired_keys://p')
        [ "${expired:-0}" -ge $(((keys + expire_every - 1) / expire_every)) ]
    }
    wait_until 15 "the preloaded keys to expire" all_expired
    verify_every=$expire_every
else
    verify_every=0
fi
timeout 60 "$checker" "$port" verify "$keys" "$verify_every" >"$tmp/verify.out" ||
    fail "preloaded keys: $(cat "$tmp/verify.out")"
[ "$(probe 'GET probe:v1')" = "opened-in-release-1" ] || fail "probe connection lost its state"
if [[ " $plan " == *" 4 "* ]]; then
    [ "$(probe 'CLIENT GETNAME')" = "live-test" ] || fail "CLIENT GETNAME after the self-updates"
fi
kill -0 "$server" 2>/dev/null || fail "kvstore died"

echo
cat "$tmp/table"
echo
bench_total=$(cat "$tmp"/bench.*.out | grep -c '^"[A-Z]')
rates=""
for t in SET GET INCR LPUSH LPOP; do
    m=$(cat "$tmp"/bench.*.out | awk -F'"' -v t="$t" '$2 == t { print $4 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", v[int((NR + 1) / 2)] / 1000 }')
    [ -n "$m" ] && rates="$rates $t ${m}k/s"
done
echo "redis-benchmark: $runs runs, $bench_total tests, no errors, no closed connections"
echo "redis-benchmark median throughput:$rates"
echo "checker: ${chk_summary#checker: }"
echo "preloaded keys: $(sed 's/checker: //' "$tmp/verify.out")"
echo "worst client latency around an update: $worst_all ms (a window without update: $baseline ms)"
echo "kvstore_live passed: $n updates committed under load (checker pid $chk_pid)"

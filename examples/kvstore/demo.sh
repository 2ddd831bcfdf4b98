#!/bin/bash
# demo.sh BUILD_DIR - kitsune's demonstration, for a person at a terminal (`make demo`).
#
# Starts kvstore 1.0 (a Redis-compatible server, examples/kvstore) under kitsune, fills
# it with keys, puts it under load, and updates the running process to 1.1, 1.2 and
# 2.0 and then twenty times to 2.0 itself, showing what each update changed, how long
# the server paused and what the clients noticed; then checks that nothing was lost.
# Takes about half a minute.  Everything it starts is stopped when it ends.
set -u
build=${1:-build}
kit=$build/bin/kitsune
dir=$build/examples/kvstore
checker=$build/tests/kvstore/checker
keys=200000
self_updates=20

if [ -t 1 ]; then
    B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m' CLR=$'\r\e[K'
else
    B="" D="" G="" R="" N="" CLR=$'\n'
fi
for f in "$kit" "$checker" "$dir"/kvstore-v{1,2,3,4}.so; do
    [ -e "$f" ] || { echo "demo: $f is missing; build first (make build)"; exit 1; }
done
command -v redis-benchmark >/dev/null && command -v redis-cli >/dev/null ||
    { echo "demo: needs redis-benchmark and redis-cli (Debian package redis-tools)"; exit 1; }

tmp=$(mktemp -d)
export KITSUNE_DIR=$tmp/run KITSUNE_QUIET=1
mkdir -m 700 "$KITSUNE_DIR"
server="" chk="" bench=""
(sleep 170 && kill -TERM $$) 2>/dev/null & # the demo never outlives this
watchdog=$!
kill_tree() {
    local p
    for p in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$p"; done
    kill -9 "$1" 2>/dev/null
}
cleanup() {
    exec 2>/dev/null # no "Killed" job notices
    for p in $bench $chk $server $watchdog; do kill_tree "$p"; done
    wait
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo; echo "demo interrupted"; exit 1' TERM INT

say() { printf '%s\n' "$*"; }
step() { printf '\n%s%s%s\n' "$B" "$*" "$N"; }
ok() { printf '  %s✓%s %s\n' "$G" "$N" "$*"; }
die() { printf '\n  %s✗ %s%s\n' "$R" "$*" "$N"; exit 1; }
cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@"; }
info() { cli info | tr -d '\r' | sed -n "s/^$1://p"; }
json() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }
commands() { info total_commands_processed; }

# progress SECONDS TEXT: a live line with the server's request rate while waiting.
progress() {
    local end=$((SECONDS + $1)) c0 c1
    c0=$(commands)
    while [ $SECONDS -lt "$end" ]; do
        sleep 0.5
        c1=$(commands)
        printf '%s  %s%s: %s requests/s%s' "$CLR" "$D" "$2" \
            "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%\047.0f", (b - a) * 2 }')" "$N"
        c0=$c1
    done
    printf '%s' "$CLR"
}

say "${B}kitsune demo: updating a running server without stopping it$N"
say "kvstore is a small Redis-compatible key-value server (examples/kvstore): a listener"
say "thread and worker threads with their own epoll loops.  It will be updated from"
say "release 1.0 to 1.1, 1.2 and 2.0 while clients use it, then $self_updates times to 2.0 itself."

step "1. Start kvstore 1.0 under kitsune"
"$kit" run "$dir/kvstore-v1.so" 0 4 >"$tmp/server.out" 2>"$tmp/server.err" &
server=$!
for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || die "kvstore did not start: $(cat "$tmp/server.err")"
say "  \$ kitsune run kvstore-v1.so 0 4"
say "  pid $server, listening on 127.0.0.1:$port, 4 worker threads, version $(info kvstore_version)"

step "2. Fill it with $keys keys"
printf '  %sloading...%s' "$D" "$N"
"$checker" "$port" load "$keys" >"$tmp/load.out" || die "loading failed"
printf '%s' "$CLR"
say "  $(info db0 | sed 's/keys=\([0-9]*\).*/\1/') keys stored in $(sed 's/.*load_ms=//' "$tmp/load.out") ms"
exec 5<>"/dev/tcp/127.0.0.1/$port"
probe() {
    local line
    printf '%s\r\n' "$1" >&5
    IFS= read -r -t 5 line <&5 || die "the connection opened at the start stopped answering"
    line=${line%$'\r'}
    if [[ $line == \$* && $line != '$-1' ]]; then
        IFS= read -r -t 5 line <&5
        line=${line%$'\r'}
    fi
    printf '%s\n' "$line"
}
probe 'SET demo:opened-under 1.0.0' >/dev/null
say "  one more connection is opened now and kept for the very end"

step "3. Put it under load"
"$checker" "$port" run 20 16 >"$tmp/checker.out" 2>&1 &
chk=$!
bench_loop() {
    local i=0 tests
    while [ ! -e "$tmp/stop" ]; do
        tests=set,get,incr
        [ -e "$tmp/lists" ] && tests=set,get,incr,lpush,lpop
        i=$((i + 1))
        timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P 16 -n 100000 -r 100000 \
            -t "$tests" --csv >"$tmp/bench.$i.out" 2>"$tmp/bench.$i.err"
        echo "$?" >>"$tmp/bench.status"
    done
}
bench_loop 2>/dev/null &
bench=$!
say "  redis-benchmark: 50 clients, 16 requests in flight each (SET, GET, INCR)"
say "  checker: 20 connections, each counting with INCR; every reply must be exactly"
say "  one more than the last, and it times every request"
progress 3 "serving"
c0=$(commands)
sleep 1
say "  serving $(awk -v a="$c0" -v b="$(commands)" 'BEGIN { printf "%\047.0f", b - a }') requests/s"

# update SO: one live update; its numbers go to u_* and the table.
updates=0
printf '%s\n' "update pause_ms migrate_ms objects client_worst_ms" >"$tmp/table"
window() { # the checker's worst latency since the last call
    local n
    n=$(grep -c window_max "$tmp/checker.out")
    kill -USR1 "$chk"
    for _ in $(seq 50); do
        [ "$(grep -c window_max "$tmp/checker.out")" -gt "$n" ] && break
        sleep 0.05
    done
    grep window_max "$tmp/checker.out" | tail -1 | sed 's/.*=//'
}
update() {
    local so=$1 reply rc
    window >/dev/null
    reply=$(timeout 60 "$kit" update --json "$server" "$dir/$so")
    rc=$?
    [ $rc -eq 0 ] && [ "$(json outcome "$reply")" = committed ] || die "update failed: $reply"
    sleep 0.3
    updates=$((updates + 1))
    u_pause=$(json pause_ms "$reply")
    u_migrate=$(json migrate "$reply")
    u_objects=$(json objects_transformed "$reply")
    u_worst=$(window)
    printf '%s %s %s %s %s\n' "$updates" "$u_pause" "$u_migrate" "$u_objects" "$u_worst" >>"$tmp/table"
}
report() {
    say "  committed in $(info kvstore_version): server paused $B$u_pause ms$N" \
        "($u_objects objects transformed); slowest client request $u_worst ms"
}

step "4. Update 1.0 -> 1.1: keys can expire"
say "  what changed: every entry gains an expiry time (INIT rule: none yet), the stats a"
say "  counter; new commands EXPIRE, TTL, PERSIST; a cycle deletes expired keys"
say "  \$ kitsune update $server kvstore-v2.so"
update kvstore-v2.so
report
cli set demo:temp hello >/dev/null
say "  try it: EXPIRE demo:temp 100 -> $(cli expire demo:temp 100), TTL demo:temp -> $(cli ttl demo:temp)"
for ((i = 0; i < keys; i += 1000)); do printf 'EXPIRE pre:%07d 2\n' "$i"; done | cli >/dev/null
say "  and 200 of the loaded keys are given 2 seconds to live"
progress 2 "serving"

step "5. Update 1.1 -> 1.2: values become strings or lists"
say "  what changed: the entry's value (char *) becomes a tag and a union of string"
say "  and list; the rules move every old value into the string member"
update kvstore-v3.so
report
cli del demo:list >/dev/null
say "  try it: RPUSH demo:list a b c -> $(cli rpush demo:list a b c)," \
    "LRANGE demo:list 0 -1 -> $(cli lrange demo:list 0 -1 | tr '\n' ' ')"
touch "$tmp/lists"
say "  redis-benchmark now also runs LPUSH and LPOP"
progress 2 "serving"

step "6. Update 1.2 -> 2.0: incremental rehashing, named clients"
say "  what changed: the hash table becomes two tables and a rehash index (as Redis's),"
say "  the global 'db' is renamed 'keyspace', the client id counter moves from a file"
say "  static into the server struct, and connections gain a name (CLIENT SETNAME)"
update kvstore-v4.so
report
say "  try it on the connection opened under 1.0: CLIENT SETNAME demo ->" \
    "$(probe 'CLIENT SETNAME demo'), CLIENT GETNAME -> $(probe 'CLIENT GETNAME')"
say "  keyspace: $(info db0)"

step "7. $self_updates more updates, each to 2.0 itself, under load"
for i in $(seq "$self_updates"); do
    update kvstore-v4.so
    printf '%s  %supdate %d/%d: paused %s ms, slowest client request %s ms%s' "$CLR" "$D" \
        "$i" "$self_updates" "$u_pause" "$u_worst" "$N"
done
printf '%s' "$CLR"
tail -n "$self_updates" "$tmp/table" | awk '{ print $2 }' | sort -g >"$tmp/pauses"
say "  $self_updates updates committed; pause min $(head -1 "$tmp/pauses") ms," \
    "median $(sed -n "$(((self_updates + 1) / 2))p" "$tmp/pauses") ms, max $(tail -1 "$tmp/pauses") ms"

step "8. Checks"
touch "$tmp/stop"
printf '  %sstopping the load...%s' "$D" "$N"
for _ in $(seq 600); do kill -0 "$bench" 2>/dev/null || break; sleep 0.1; done
kill -TERM "$chk"
wait "$chk"
chk_rc=$?
printf '%s' "$CLR"
summary=$(grep 'result=' "$tmp/checker.out")
[ $chk_rc -eq 0 ] || die "checker: $(tail -2 "$tmp/checker.out")"
requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$summary")
worst=$(sed 's/.*max_latency_ms=\([0-9.]*\).*/\1/' <<<"$summary")
p99=$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$summary")
ok "checker: the 20 connections opened under 1.0 are still open; $requests INCRs," \
    "every reply exactly one more than the last; counters read back exact"
ok "checker latency: 99% of requests within $p99 ms, the slowest $worst ms"
runs=$(wc -l <"$tmp/bench.status")
bad=$(grep -vc '^0$' "$tmp/bench.status")
errs=$(cat "$tmp"/bench.*.err)
[ "$bad" -eq 0 ] && [ -z "$errs" ] || die "redis-benchmark failed: $errs"
ok "redis-benchmark: $runs runs, no errors, no closed connections"
"$checker" "$port" verify "$keys" 1000 >"$tmp/verify.out" || die "$(cat "$tmp/verify.out")"
ok "all $keys loaded keys read back: $(sed 's/.*intact=\([0-9]*\).*expired=\([0-9]*\).*/\1 intact, \2 expired as asked/' "$tmp/verify.out")"
[ "$(probe 'GET demo:opened-under')" = 1.0.0 ] && [ "$(probe 'CLIENT GETNAME')" = demo ] ||
    die "the connection opened at the start lost its state"
ok "the connection opened under 1.0 still works and kept its name"
ok "the same process all along: pid $server, now $(info kvstore_version) after" \
    "$(info live_updates) live updates, up $(info uptime_in_seconds) s"

step "Updates"
awk 'NR == 1 { printf "  %-7s %10s %11s %9s %17s\n", "update", "pause ms", "migrate ms", "objects", "slowest client ms"; next }
     { printf "  %-7s %10s %11s %9s %17s\n", $1, $2, $3, $4, $5 }' "$tmp/table" | head -6
say "  ... ($self_updates self-updates in all; the table of every one is in the live test)"
say
say "The pauses of 1.0 -> 1.1 and 1.1 -> 1.2 grow with the keys: every entry changed"
say "layout and was rebuilt.  The others touch only what changed - a few objects."

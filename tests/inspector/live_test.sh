#!/bin/bash
# live_test.sh KITSUNE INSPECTOR_BUILD_DIR INSPECTOR_SOURCE_DIR [MODE] [builtin|plug]
#
# The inspector's live update test.  A network namespace of its own holds a veth pair;
# tcpreplay replays the generator's capture into one end while the inspector (release
# 1, under `kitsune run`) captures the other, and the inspector is updated 1 -> 2 ->
# 3 -> 4 during the replay (steady: then 4 -> 4, an update to the running release).
# MODE:
#   steady    (the default, `make test`) 200 packets/s; then the capture reports no
#             drop, packets processed = packets sent, every update is straddled by a
#             flow whose signature is split across it and that flow is detected, and
#             the alerts are exactly those of the release active when each packet was
#             processed (tools/check_alerts.py against the generator's expectations);
#             a SIGHUP after the update to release 3 reloads the configuration;
#   topspeed  (`make bench`) a larger capture looped for 4 s with --topspeed: every packet
#             sent is processed or counted as dropped, and the drops are reported (the
#             alerts are not checked: the same flows are sent again on each loop);
#   baseline  topspeed without updates, to compare the drops with;
#   bounded   (`make test`) the larger capture sent 20 times with --topspeed, 100 ms
#             apart, 315,940 packets in all, updated 1 -> 2 -> 3 -> 4 during it; then no
#             drop and packets processed = packets sent, and every release processed
#             some of them.  Half what the capture's ring holds (~648,000 of these
#             packets), so no drop does not depend on the machine's load: it holds
#             while the inspector runs and is updated, however slowly;
#   trials-traffic, trials-idle  (`make bench`) INSPECTOR_TRIALS runs (default 11) of
#             the three updates, with a steady replay at 1000 packets/s or none,
#             printing `pause FROM TO MS` for each update.
# builtin runs the releases whose preprocessors are compiled in (vN/), plug those that
# dlopen() them (pvN/, plugins/pp_*.so beside each release).  Every process is stopped
# by its PID and the namespace is deleted on exit.
set -u
kit=$1 build=$2 src=$3 mode=${4:-steady} variant=${5:-builtin}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"
command -v tcpreplay >/dev/null || skip "no tcpreplay (scripts/install-deps.sh)"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v nsenter >/dev/null || skip "no nsenter (util-linux)"

. "$(dirname "$0")/../lib/common.sh" # $tmp, $slow, die, wait_until, wait_exit, track_pid
out=$tmp/insp.out err=$tmp/insp.err   # the inspector's, shown by die
ns=kt-insp-$$
insp="" replay=""
delete_namespace() { ip netns del "$ns" 2>/dev/null; }
cleanup_hook=delete_namespace
show_replay() { echo "--- tcpreplay"; tail -5 "$tmp/replay.out" 2>/dev/null; }
failure_hook=show_replay
fail() { die "$@"; }
json() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }
nsx() { ip netns exec "$ns" "$@"; }
# in the namespace without a fork (ip netns exec and a shell function fork), so that
# $! is the PID of the command itself
nse=(nsenter --net=/run/netns/"$ns" --)
# the file of release $1
release() {
    if [ "$variant" = plug ]; then
        echo "$build/pv$1/inspector-plug-v$1.so"
    else
        echo "$build/v$1/inspector-v$1.so"
    fi
}

start_inspector() {
    rm -f "$tmp/alerts.log" "$tmp/stats"
    start_program env KITSUNE_QUIET=1 "${nse[@]}" "$kit" run "$(release 1)" \
        "$tmp/inspector.conf" -i sniff0
    insp=$pid
    wait_until 5 "the inspector to capture" grep -q capturing "$out"
    local p
    p=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$out")
    [ "$p" = "$insp" ] || fail "the inspector runs as pid $p, started $insp"
}

start_replay() {
    "${nse[@]}" tcpreplay -i replay0 "$@" "$tmp/cap.pcap" >"$tmp/replay.out" 2>&1 &
    replay=$!
    track_pid "$replay"
}

# update_to V: updates the inspector to release V; the pause is in $pause, its
# phases in $phases
update_to() {
    local reply rc
    reply=$(timeout 60 "$kit" update --json --timeout 2000 "$insp" "$(release "$1")")
    rc=$?
    [ $rc -eq 0 ] && [ "$(json outcome "$reply")" = committed ] ||
        fail "update to release $1: exit $rc, $reply"
    pause=$(json pause_ms "$reply")
    phases=$(sed -n 's/.*"phases_ms":{\([^}]*\)}.*/\1/p' <<<"$reply" | tr -d '"')
}

wait_replay() {
    wait_exit "$replay" 30 || fail "tcpreplay did not finish"
    wait "$replay" || fail "tcpreplay failed: $(tail -3 "$tmp/replay.out")"
    replay=""
    sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$tmp/replay.out")
}

stop_replay() {
    kill "$replay" 2>/dev/null
    wait "$replay" 2>/dev/null
    replay=""
}

stop_inspector() {
    kill -TERM "$insp"
    pid= # its exit is expected now
    wait_exit "$insp" 5 || fail "the inspector did not stop on SIGTERM"
    wait "$insp"
    insp=""
    [ -s "$tmp/stats" ] || fail "no stats file"
}
st() { sed -n "s/^$1=//p" "$tmp/stats"; }
# usage: the inspector's CPU time so far in ms ($cpu_ms, user + system, every thread),
# and the context switches of its threads alive now ($ctxsw: at full speed, mostly the
# capture thread's wakeups by the kernel)
usage() {
    local f
    read -ra f <"/proc/$insp/stat"
    cpu_ms=$(((f[13] + f[14]) * 1000 / $(getconf CLK_TCK)))
    ctxsw=$(cat /proc/"$insp"/task/*/status 2>/dev/null |
        awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }')
}

# ---- the namespace, a veth pair inside it, no IPv6 chatter ----
ip netns add "$ns" || skip "ip netns add failed"
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx ip link add replay0 type veth peer name sniff0 || fail "cannot create a veth pair"
nsx ip link set replay0 up && nsx ip link set sniff0 up && nsx ip link set lo up ||
    fail "cannot bring the veth pair up"
sed "s|@TMP@|$tmp|g" "$src/test.conf.in" >"$tmp/inspector.conf"
cp "$src/rules/inspector.rules" "$tmp/"
case $mode in
topspeed | baseline | bounded)
    python3 "$src/tools/trafgen.py" --scale 8 -o "$tmp/cap.pcap" --expect "$tmp/cap.expect" ||
        fail "trafgen" ;;
*)
    cp "$build/mixed.pcap" "$tmp/cap.pcap" && cp "$build/mixed.expect" "$tmp/cap.expect" ||
        fail "no capture: build inspector_captures" ;;
esac

# ---- the update-time trials ----
if [ "$mode" = trials-traffic ] || [ "$mode" = trials-idle ]; then
    for trial in $(seq "${INSPECTOR_TRIALS:-11}"); do
        start_inspector
        [ "$mode" = trials-traffic ] && start_replay --pps=1000 --loop=0
        sleep 0.3
        for v in 2 3 4; do
            update_to $v
            echo "pause $((v - 1)) $v $pause"
            sleep 0.1
        done
        [ -n "$replay" ] && stop_replay
        stop_inspector
        [ "$(st version)" = 4 ] || fail "trial $trial ended in release $(st version)"
        [ "$(st pcap_drop)" = 0 ] || echo "trial $trial: $(st pcap_drop) packets dropped"
    done
    exit 0
fi

# ---- one replay, with updates during it ----
if [ "$mode" = steady ]; then
    replay_args=(--pps=200)
    gap=2.0 # the capture lasts 10 s at 200 packets/s
elif [ "$mode" = bounded ]; then
    # lasts 1.9 s and more (KITSUNE_TEST_SLOW times), for the three updates 0.2 s apart
    replay_args=(--topspeed --loop=20 --loopdelay-ms=$((100 * slow)))
    # twice the pause between loops, so that each release sees a whole loop (with the
    # gap fixed, under ASan's KITSUNE_TEST_SLOW=10 releases 2 and 3 both fell into one
    # 1 s pause and release 2 processed no packet)
    gap=$(awk -v s="$slow" 'BEGIN { print 0.2 * s }')
else
    replay_args=(--topspeed --loop=0 --duration=4) # looped, for 4 s
    gap=0.4
fi
start_inspector
start_replay "${replay_args[@]}"
updates="2 3 4"
[ "$mode" = steady ] && updates="2 3 4 4" # and release 4 to itself (its self rules)
[ "$mode" = baseline ] && updates=""
for v in $updates; do
    sleep "$gap"
    kill -0 "$replay" 2>/dev/null || fail "the replay ended before the update to release $v"
    update_to $v
    echo "update to release $v committed, pause $pause ms ($phases)"
    # the reload thread, restarted in release 3, reads the configuration again: the
    # new SIP configuration gets max_dialogs_per_session from release 3's parser
    [ "$mode" = steady ] && [ $v = 3 ] && sleep 0.5 && kill -HUP "$insp"
done
wait_replay
# every packet is processed, and its alerts are in the file, while the inspector runs:
# the capture hands over packets and the alert file is written out at most a batch late
# (SIGUSR1 writes the counters); at full speed, processed or counted dropped
all_counted() {
    kill -USR1 "$insp"
    sleep 0.05
    local got_p got_d
    got_p=$(st packets 2>/dev/null) got_d=$(st pcap_drop 2>/dev/null) # absent, half written
    seen=$((${got_p:-0} + ${got_d:-0}))
    [ "$seen" = "$sent" ]
}
seen=0
for _ in $(seq $((100 * slow))); do all_counted && break; done
[ "$seen" = "$sent" ] || fail "5 s after the replay the inspector had processed or" \
    "counted dropped $seen of the $sent packets sent"
if [ "$mode" = steady ] || [ "$mode" = bounded ]; then
    live_alerts=$(grep -c '^pkt=' "$tmp/alerts.log")
fi
usage
stop_inspector
[ -n "${live_alerts:-}" ] && [ "$(grep -c '^pkt=' "$tmp/alerts.log")" != "$live_alerts" ] &&
    fail "$live_alerts alerts in the file while the inspector ran," \
         "$(grep -c '^pkt=' "$tmp/alerts.log") once it stopped"
echo "sent $sent packets; processed $(st packets), kernel drops $(st pcap_drop)," \
     "interface drops $(st pcap_ifdrop), alerts $(st alerts), release $(st version);" \
     "inspector CPU $cpu_ms ms, $ctxsw context switches"
echo "inspector_${mode}_drops=$(st pcap_drop)"
echo "inspector_${mode}_ifdrops=$(st pcap_ifdrop)"
[ "$(st packets)" -gt 0 ] &&
    echo "inspector_${mode}_cpu_ns_per_packet=$((cpu_ms * 1000000 / $(st packets)))"
echo "inspector_${mode}_context_switches=$ctxsw"
want_version=4
[ "$mode" = baseline ] && want_version=1
[ "$(st version)" = $want_version ] || fail "the inspector ended in release $(st version)"
if [ "$mode" = bounded ]; then
    [ "$(st pcap_drop)" = 0 ] && [ "$(st pcap_ifdrop)" = 0 ] || fail "the capture dropped packets"
    [ "$(st packets)" = "$sent" ] || fail "processed $(st packets) packets, tcpreplay sent $sent"
    # each release processed some of the packets sent at full speed
    prev=0
    for v in 1 2 3 4; do
        k=$(sed -n "s/^# version $v from pkt \([0-9]*\)$/\1/p" "$tmp/alerts.log")
        [ -n "$k" ] && [ "$k" -gt "$prev" ] && [ "$k" -le "$sent" ] ||
            fail "release $v processed no packet of the replay (marker '${k}')"
        prev=$k
    done
elif [ "$mode" != steady ]; then
    # At full speed the inspector may be slower than tcpreplay on a loaded machine:
    # the drops are reported, and every packet sent is processed or counted dropped.
    [ $(($(st packets) + $(st pcap_drop))) = "$sent" ] ||
        fail "processed $(st packets) + dropped $(st pcap_drop) packets, tcpreplay sent $sent"
else
    [ "$(st packets)" = "$sent" ] || fail "processed $(st packets) packets, tcpreplay sent $sent"
    [ "$(st reloads)" = 1 ] || fail "$(st reloads) configuration reloads, expected 1"
    [ "$(st pcap_drop)" = 0 ] && [ "$(st pcap_ifdrop)" = 0 ] || fail "the capture dropped packets"
    python3 "$src/tools/check_alerts.py" "$tmp/alerts.log" "$tmp/cap.expect" --updates 4 \
        --stats "$tmp/stats" || fail "the alerts do not match the releases"
fi
echo "PASS"

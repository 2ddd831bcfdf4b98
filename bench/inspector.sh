#!/bin/bash
# inspector.sh BUILD_DIR - the inspector's update times and full-speed drops
# (examples/inspector/README.md).
#
# Update time: the pause of each update 1 -> 2, 2 -> 3, 3 -> 4 (kitsune update --json
# pause_ms), median of INSPECTOR_TRIALS runs (11), under three conditions: the
# preprocessors as dlopen()ed plugins with a replay at 1000 packets/s, compiled in with
# the same replay, plugins with no traffic (and, beside the seed's three, compiled in
# with no traffic).  Drops: the capture looped for 4 s with tcpreplay --topspeed, with
# the three updates and without (baseline), several runs.  All runs go through
# tests/inspector/live_test.sh (its own network namespace, veth pair, cleanup).
#
# Prints name=value lines on stdout and the table on stderr:
#   inspector_update_ms_vA_vB_COND   COND: plugins_traffic, builtin_traffic, plugins_idle,
#                                    builtin_idle
#   inspector_MODE_WHAT   MODE: topspeed (with the updates), baseline (without); WHAT:
#                         drops, drops_max, ifdrops, sent, cpu_ns_per_packet,
#                         context_switches, load1 (the load average before each run)
#   inspector_offline_instructions_per_packet   (callgrind, independent of the load)
# A cell that cannot be measured (kitsune refuses the update) prints the reason on
# stderr and no line.
set -u
build=${1:?usage: inspector.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
live=$here/../tests/inspector/live_test.sh
src=$here/../examples/inspector
ib=$build/examples/inspector
kit=$build/bin/kitsune
[ -e "$ib/v4/inspector-v4.so" ] || { echo "inspector.sh: build the inspector first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

declare -A cell
for cond in plugins_traffic builtin_traffic plugins_idle builtin_idle; do
    variant=plug
    [ "${cond%%_*}" = builtin ] && variant=builtin
    mode=trials-${cond#*_}
    [ "$mode" = trials-idle ] || mode=trials-traffic
    "$live" "$kit" "$ib" "$src" "$mode" "$variant" >"$tmp/$cond" 2>&1
    rc=$?
    for from in 1 2 3; do
        to=$((from + 1))
        m=$(awk -v f=$from -v t=$to '$1 == "pause" && $2 == f && $3 == t { print $4 }' \
            "$tmp/$cond" | median)
        cell[$from$cond]=${m:--}
        [ -n "$m" ] && echo "inspector_update_ms_v${from}_v${to}_${cond}=$m"
    done
    [ $rc -eq 77 ] && { echo "inspector.sh: $(cat "$tmp/$cond")" >&2; exit 0; }
    [ $rc -eq 0 ] || echo "inspector.sh: $cond: $(grep -m1 FAIL "$tmp/$cond")" >&2
done

{
    printf '\ninspector update time, ms (median of %s)\n' "${INSPECTOR_TRIALS:-11}"
    printf '%-10s %18s %22s %20s %23s\n' update "plugins+traffic" "no plugins+traffic" \
        "plugins+no traffic" "no plugins+no traffic"
    for from in 1 2 3; do
        printf '%-10s %18s %22s %20s %23s\n' "v$from->v$((from + 1))" \
            "${cell[${from}plugins_traffic]}" "${cell[${from}builtin_traffic]}" \
            "${cell[${from}plugins_idle]}" "${cell[${from}builtin_idle]}"
    done
} >&2

# Full speed: INSPECTOR_TOPSPEED_RUNS runs (3) with the updates and as many without,
# alternating; the machine's load average beside each.  Each value printed is the
# median of the runs, the drops also as the largest.
runs=${INSPECTOR_TOPSPEED_RUNS:-3}
for run in $(seq "$runs"); do
    for mode in topspeed baseline; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        "$live" "$kit" "$ib" "$src" "$mode" >"$tmp/$mode.$run" 2>&1 ||
            echo "inspector.sh: $mode: $(grep -m1 FAIL "$tmp/$mode.$run")" >&2
        sed -n "s/^sent \([0-9]*\) packets.*/\1/p" "$tmp/$mode.$run" |
            sed "s/^/inspector_${mode}_sent=/" >>"$tmp/$mode.$run"
        echo "inspector_${mode}_load1=$load" >>"$tmp/$mode.$run"
        grep -E '^(sent|update to)' "$tmp/$mode.$run" |
            sed "s/^/$mode (run $run, load $load): /" >&2
    done
done
for mode in topspeed baseline; do
    for what in drops ifdrops sent cpu_ns_per_packet context_switches load1; do
        m=$(cat "$tmp/$mode".* | sed -n "s/^inspector_${mode}_${what}=//p" | median)
        [ -n "$m" ] && echo "inspector_${mode}_${what}=$m"
    done
    m=$(cat "$tmp/$mode".* | sed -n "s/^inspector_${mode}_drops=//p" | sort -g | tail -1)
    [ -n "$m" ] && echo "inspector_${mode}_drops_max=$m"
done
echo "inspector_topspeed_runs=$runs"

# Instructions per packet (callgrind, whatever the load): release 1 reading the larger
# capture looped 20 times as a file, less the same run on an empty capture.
if command -v valgrind >/dev/null && command -v python3 >/dev/null; then
    sed "s|@TMP@|$tmp|g" "$src/test.conf.in" >"$tmp/inspector.conf"
    cp "$src/rules/inspector.rules" "$tmp/"
    python3 "$src/tools/trafgen.py" --scale 8 -o "$tmp/one.pcap" --expect "$tmp/one.expect"
    python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d + d[24:] * 19); open(sys.argv[3], "wb").write(d[:24])' \
        "$tmp/one.pcap" "$tmp/loop.pcap" "$tmp/empty.pcap"
    irefs() {
        KITSUNE_QUIET=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$kit" run "$ib/v1/inspector-v1.so" "$tmp/inspector.conf" -r "$1" 2>&1 >/dev/null |
            sed -n 's/.*refs: *//p' | tr -d ,
    }
    empty=$(irefs "$tmp/empty.pcap") full=$(irefs "$tmp/loop.pcap")
    packets=$(sed -n 's/^packets=//p' "$tmp/stats") # the stats of the last run
    [ -n "$full" ] && [ -n "$empty" ] && [ -n "$packets" ] && [ "$packets" -gt 0 ] &&
        echo "inspector_offline_instructions_per_packet=$(((full - empty) / packets))"
fi

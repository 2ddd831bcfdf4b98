#!/bin/bash
# inspector.sh BUILD_DIR - the inspector's update times and full-speed drops
# (examples/inspector/README.md).
#
# Update time: the pause of each update 1 -> 2, 2 -> 3, 3 -> 4 (kitsune update --json
# pause_ms), median of INSPECTOR_TRIALS runs (11), under three conditions: the
# preprocessors as dlopen()ed plugins with a replay at 1000 packets/s, compiled in with
# the same replay, plugins with no traffic (and, beside the seed's three, compiled in
# with no traffic).  Drops: the capture looped with tcpreplay
# --topspeed, with the three updates and without (baseline).  All runs go through
# tests/inspector/live_test.sh (its own network namespace, veth pair, cleanup).
#
# Prints name=value lines on stdout and the table on stderr:
#   inspector_update_ms_vA_vB_COND   COND: plugins_traffic, builtin_traffic, plugins_idle,
#                                    builtin_idle
#   inspector_topspeed_drops, inspector_baseline_drops, inspector_topspeed_sent
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

for mode in topspeed baseline; do
    "$live" "$kit" "$ib" "$src" "$mode" >"$tmp/$mode" 2>&1 ||
        echo "inspector.sh: $mode: $(grep -m1 FAIL "$tmp/$mode")" >&2
    grep "^inspector_${mode}_drops=" "$tmp/$mode"
    sent=$(sed -n 's/^sent \([0-9]*\) packets.*/\1/p' "$tmp/$mode")
    [ -n "$sent" ] && echo "inspector_${mode}_sent=$sent"
    grep -E '^(sent|update to)' "$tmp/$mode" | sed "s/^/$mode: /" >&2
done

#!/bin/bash
# run_notify.sh KITSUNE NOTIFY_LISTEN V1.so V2.so UNIT
#
# The runtime speaks sd_notify when NOTIFY_SOCKET is set, as under a systemd unit of
# Type=notify (examples/systemd): READY=1 once it can be updated, RELOADING=1 (with
# MONOTONIC_USEC) when an update starts, READY=1 with STATUS=<outcome> when it has
# rolled back or committed.  The socket is one this test binds (notify_listen), by
# path and in the abstract namespace.  Then the example unit's ExecStart and
# ExecReload command lines (UNIT, with this build's paths) start and update a program.
set -u
kit=$1 listen=$2 v1=$3 v2=$4 unit=$5
. "$(dirname "$0")/common.sh"
show_messages() { cat "$tmp"/msgs* 2>/dev/null | tail -30; }
failure_hook=show_messages
wait_for() { wait_lines "$@"; }

# one SOCKET: a program under kitsune with NOTIFY_SOCKET=SOCKET, a rolled-back and a
# committed update; checks the datagrams in order.
one() {
    local sock=$1 msgs=$tmp/msgs.$2
    "$listen" "$sock" $((30 * slow)) >"$msgs" &
    track_pid $!
    wait_for "$msgs" '^listening$'
    NOTIFY_SOCKET=$sock "$kit" run "$v1" >"$tmp/out.$2" 2>"$tmp/err.$2" &
    local pid=$!
    track_pid $pid
    wait_for "$msgs" '^READY=1$'
    wait_for "$tmp/out.$2" '^ready$'
    "$kit" update --fault migrate "$pid" "$v2" >/dev/null && die "a fault must roll back"
    wait_for "$msgs" '^STATUS=update rolled back: injected fault: migrate$'
    "$kit" update "$pid" "$v2" >/dev/null || die "update to v2"
    wait_for "$msgs" '^STATUS=update committed (version 0 -> 1)$'
    # The datagrams, one per line: ready, then (reloading, ready) for each update.
    local seq
    seq=$(awk '/^--$/ { print msg; msg = ""; next } { msg = msg (msg ? "|" : "") $0 }' "$msgs")
    local want='listening
READY=1|STATUS=running
RELOADING=1|MONOTONIC_USEC=N|STATUS=updating to PATH
READY=1|STATUS=update rolled back: injected fault: migrate
RELOADING=1|MONOTONIC_USEC=N|STATUS=updating to PATH
READY=1|STATUS=update committed (version 0 -> 1)'
    seq=$(sed -e 's/MONOTONIC_USEC=[0-9]*/MONOTONIC_USEC=N/' -e "s|updating to $v2|updating to PATH|" <<<"$seq")
    [ "$seq" = "$want" ] || die "datagrams on $sock:
$seq
expected:
$want"
    kill "$pid"
    echo "$sock: ready, reloading and outcome notified in order"
}

one "$tmp/notify.sock" path
one "@kitsune-notify-test-$$" abstract

# The unit's own command lines, as systemd would run them (without NOTIFY_SOCKET:
# nothing is sent and nothing breaks).
unit_cmd() {
    sed -n "s/^$1=//p" "$unit" | sed -e "s|/usr/local/bin/kitsune|$kit|" \
        -e "s|/srv/myserver/current.so|$v1|" -e "s|/srv/myserver/next.so|$v2|"
}
start=$(unit_cmd ExecStart) reload=$(unit_cmd ExecReload)
[ -n "$start" ] && [ -n "$reload" ] || die "no ExecStart/ExecReload in $unit"
env -u NOTIFY_SOCKET bash -c "exec $start" >"$tmp/out.unit" 2>&1 &
MAINPID=$!
track_pid $MAINPID
wait_for "$tmp/out.unit" '^ready$'
MAINPID=$MAINPID bash -c "$reload" >"$tmp/reload" 2>&1 || die "ExecReload: $(cat "$tmp/reload")"
grep -q "committed (version 0 -> 1)" "$tmp/reload" || die "ExecReload: $(cat "$tmp/reload")"
echo "unit: ExecStart ran, ExecReload updated it"
echo "notify: passed"

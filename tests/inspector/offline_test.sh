#!/bin/bash
# offline_test.sh KITSUNE INSPECTOR_BUILD_DIR INSPECTOR_SOURCE_DIR [builtin|plug]
#
# Each release of the inspector reads the generator's capture as a file (no update):
# its alerts must be exactly those the generator expects of that release
# (tools/check_alerts.py), and every packet must be processed.  A configuration with
# an error is refused with its file and line; alerts also go to syslog when asked.  builtin: the releases with the
# preprocessors compiled in; plug: those that dlopen() them.
set -u
kit=$1 build=$2 src=$3 variant=${4:-builtin}
tmp=$(mktemp -d /tmp/inspector-offline.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# the file of release $1
release() {
    if [ "$variant" = plug ]; then echo "$build/pv$1/inspector-plug-v$1.so"; else echo "$build/v$1/inspector-v$1.so"; fi
}
fail() { echo "FAIL: $*"; exit 1; }
sed "s|@TMP@|$tmp|g" "$src/test.conf.in" >"$tmp/inspector.conf"
cp "$src/rules/inspector.rules" "$tmp/"
for v in 1 2 3 4; do
    rm -f "$tmp/alerts.log" "$tmp/stats"
    KITSUNE_QUIET=1 timeout 60 "$kit" run "$(release $v)" "$tmp/inspector.conf" \
        -r "$build/mixed.pcap" >/dev/null 2>"$tmp/err" || fail "release $v: $(cat "$tmp/err")"
    echo "release $v: $(python3 "$src/tools/check_alerts.py" "$tmp/alerts.log" \
        "$build/mixed.expect" --stats "$tmp/stats" | tr '\n' ' ')"
    python3 "$src/tools/check_alerts.py" "$tmp/alerts.log" "$build/mixed.expect" \
        --stats "$tmp/stats" >/dev/null || fail "release $v's alerts"
done
# alerts to syslog as well (accepted; the file still gets every alert), and a
# facility that does not exist refused with the file and line
cp "$tmp/inspector.conf" "$tmp/syslog.conf"
echo "output alert_syslog: LOG_LOCAL0" >>"$tmp/syslog.conf"
rm -f "$tmp/alerts.log"
KITSUNE_QUIET=1 timeout 60 "$kit" run "$(release 4)" "$tmp/syslog.conf" -r "$build/mixed.pcap" \
    >/dev/null 2>"$tmp/err" || fail "alert_syslog: $(cat "$tmp/err")"
python3 "$src/tools/check_alerts.py" "$tmp/alerts.log" "$build/mixed.expect" >/dev/null ||
    fail "alerts with alert_syslog"
echo "output alert_syslog: LOG_NOWHERE" >>"$tmp/syslog.conf"
KITSUNE_QUIET=1 timeout 60 "$kit" run "$(release 4)" "$tmp/syslog.conf" -r "$build/mixed.pcap" \
    >/dev/null 2>"$tmp/err" && fail "an unknown syslog facility was accepted"
grep -q "syslog.conf:10: alert_syslog: unknown facility 'LOG_NOWHERE'" "$tmp/err" ||
    fail "bad facility: $(cat "$tmp/err")"
# plugins: a plugin directory that does not exist is a clear error
if [ "$variant" = plug ]; then
    { echo "config plugin_dir: $tmp/none"; cat "$tmp/inspector.conf"; } >"$tmp/noplug.conf"
    KITSUNE_QUIET=1 timeout 60 "$kit" run "$(release 1)" "$tmp/noplug.conf" \
        -r "$build/mixed.pcap" >/dev/null 2>"$tmp/err" && fail "a missing plugin directory was accepted"
    grep -q "plugin directory $tmp/none: cannot read it" "$tmp/err" || fail "no plugins: $(cat "$tmp/err")"
fi
# a bad rule: refused, naming the file and line
printf 'alert tcp any any -> any 80 (msg:"x"; content:"a"; sid:1; bogus:2;)\n' >>"$tmp/inspector.rules"
KITSUNE_QUIET=1 timeout 60 "$kit" run "$(release 1)" "$tmp/inspector.conf" \
    -r "$build/mixed.pcap" >/dev/null 2>"$tmp/err" && fail "a bad rule was accepted"
grep -q "inspector.rules:7: unknown option 'bogus'" "$tmp/err" || fail "bad rule: $(cat "$tmp/err")"
echo PASS

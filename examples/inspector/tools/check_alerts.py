#!/usr/bin/env python3
"""check_alerts.py - compares the inspector's alert log with the generator's
expectations, release by release.

    check_alerts.py ALERTS.log CAPTURE.expect [--updates N] [--stats STATS]

The alert log marks the first packet each release processed ("# version N from pkt
K").  Every expected alert whose release range holds the release active at its packet
must be in the log exactly once, and nothing else; each alert must name the release
that the markers say was active.  With --updates N the log must show N updates, each
straddled by a flow whose signature was split across it (its first packet before the
update, the packet completing the signature after) and detected.  With --stats the
counters must show every packet of the capture processed and no capture drop.
Exit status 0 when everything holds; each failure is printed."""
import argparse
import re
import sys
from collections import Counter


def parse_log(path):
    marks, alerts = [], []
    for line in open(path):
        m = re.match(r"# version (\d+) from pkt (\d+)", line)
        if m:
            marks.append((int(m.group(2)), int(m.group(1))))
            continue
        m = re.match(r"pkt=(\d+) v=(\d+) \[(\d+):(\d+)\]", line)
        if m:
            alerts.append(tuple(int(x) for x in m.groups()))
    return marks, alerts


def parse_expect(path):
    alerts, straddles, packets = [], [], 0
    for line in open(path):
        f = line.split()
        if f[0] == "alert":
            alerts.append(tuple(int(x) for x in f[1:]))
        elif f[0] == "straddle":
            straddles.append((f[1], int(f[2]), int(f[3]), int(f[4])))
        elif f[0] == "packets":
            packets = int(f[1])
    return alerts, straddles, packets


def version_at(marks, pkt):
    v = None
    for start, ver in marks:
        if start <= pkt:
            v = ver
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("expect")
    ap.add_argument("--updates", type=int)
    ap.add_argument("--stats")
    a = ap.parse_args()
    marks, got = parse_log(a.log)
    want_all, straddles, packets = parse_expect(a.expect)
    errors = []
    if not marks or marks[0][0] != 1:
        errors.append("the log has no version marker for packet 1")
    for pkt, v, gid, sid in got:
        if version_at(marks, pkt) != v:
            errors.append("alert %d:%d at pkt %d names release %d, the markers say %s"
                          % (gid, sid, pkt, v, version_at(marks, pkt)))
    want = Counter((pkt, gid, sid) for pkt, gid, sid, lo, hi in want_all
                   if lo <= (version_at(marks, pkt) or 0) <= hi)
    have = Counter((pkt, gid, sid) for pkt, v, gid, sid in got)
    for k in sorted((want - have).elements()):
        errors.append("missing alert %d:%d at pkt %d (release %s)"
                      % (k[1], k[2], k[0], version_at(marks, k[0])))
    for k in sorted((have - want).elements()):
        errors.append("unexpected alert %d:%d at pkt %d (release %s)"
                      % (k[1], k[2], k[0], version_at(marks, k[0])))
    if a.updates is not None:
        if len(marks) != a.updates + 1:
            errors.append("%d release markers, expected %d" % (len(marks), a.updates + 1))
        for start, ver in marks[1:]:
            across = [s for s in straddles if s[1] < start <= s[2]]
            if not across:
                errors.append("no split-signature flow straddles the update to release %d "
                              "(pkt %d)" % (ver, start))
            else:
                name, first, trig, sid = across[0]
                print("update to release %d at pkt %d: straddled by %s (pkts %d..%d), %s"
                      % (ver, start, name, first, trig,
                         "detected" if have[(trig, 1, sid)] else "NOT detected"))
    if a.stats:
        st = dict(l.strip().split("=", 1) for l in open(a.stats) if "=" in l)
        if int(st["packets"]) != packets:
            errors.append("packets processed %s, capture has %d" % (st["packets"], packets))
        if int(st["pcap_drop"]) or int(st["pcap_ifdrop"]):
            errors.append("capture drops: %s (kernel), %s (interface)"
                          % (st["pcap_drop"], st["pcap_ifdrop"]))
    ok = sum(want.values())
    print("alerts: %d expected, %d logged, releases %s"
          % (ok, len(got), " ".join("%d@%d" % (v, s) for s, v in marks)))
    for e in errors:
        print("FAIL: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

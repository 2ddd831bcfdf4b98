#!/usr/bin/env python3
"""trafgen.py - the inspector's traffic generator: writes a deterministic pcap capture
mixing HTTP (TCP), SIP and DNS (UDP) flows, and beside it the alerts each release of
the inspector must raise on it.

    trafgen.py -o mixed.pcap --expect mixed.expect [--scale N] [--seed S]

Flows are interleaved: every flow starts at its own slot and sends one packet every
`gap` slots, so many flows are open at any time.  Some HTTP flows carry a signature
split over dozens of one-byte segments spread over hundreds of packets: whatever
moment an update happens, one of them straddles it.

The expectations file has one line per alert that some release raises:
    alert ORDINAL GID SID MIN_VERSION MAX_VERSION
(ORDINAL counts the packets of the capture from 1), one line per straddling flow:
    straddle NAME FIRST_ORDINAL TRIGGER_ORDINAL SID
and `packets N`.  Only the standard library is used; the same seed gives the same
bytes."""
import argparse
import random
import struct

SERVER_MAC = bytes.fromhex("020000000002")
CLIENT_MAC = bytes.fromhex("020000000001")
WORDS = ["index", "news", "about", "img", "static", "docs", "api", "users", "shop",
         "cart", "blog", "search", "login", "help", "style", "main", "data", "view"]
ALL = (1, 4)  # raised by every release


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_frame(src, dst, proto, l4, to_server):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    macs = SERVER_MAC + CLIENT_MAC if to_server else CLIENT_MAC + SERVER_MAC
    return macs + b"\x08\x00" + hdr + l4


def tcp_frame(src, sport, dst, dport, seq, ack, flags, payload, to_server):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0) + payload
    return ip_frame(src, dst, 6, tcp, to_server)


def udp_frame(src, sport, dst, dport, payload, to_server):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ip_frame(src, dst, 17, udp, to_server)


class Flow:
    """The packets of one flow in order; each packet may carry expected alerts."""

    def __init__(self, name, start, gap):
        self.name, self.start, self.gap = name, start, gap
        self.packets = []  # (frame, [(gid, sid, minv, maxv)])
        self.straddle = None  # sid whose trigger packet is tracked

    def add(self, frame, alerts=()):
        self.packets.append((frame, list(alerts)))


class TcpConv:
    """A TCP connection: handshake, messages cut into segments, FIN both ways."""

    SYN, ACK, FIN, PSH = 0x02, 0x10, 0x01, 0x08

    def __init__(self, flow, client, cport, server, sport, rnd):
        self.f, self.c, self.cp, self.s, self.sp = flow, client, cport, server, sport
        self.seq = [rnd.randrange(1 << 32), rnd.randrange(1 << 32)]
        self.pkt(0, self.SYN, b"")
        self.seq[0] += 1
        self.pkt(1, self.SYN | self.ACK, b"")
        self.seq[1] += 1
        self.pkt(0, self.ACK, b"")

    def pkt(self, d, flags, payload, alerts=()):
        if d == 0:
            frame = tcp_frame(self.c, self.cp, self.s, self.sp, self.seq[0], self.seq[1],
                              flags, payload, True)
        else:
            frame = tcp_frame(self.s, self.sp, self.c, self.cp, self.seq[1], self.seq[0],
                              flags, payload, False)
        self.f.add(frame, alerts)

    def send(self, d, data, seg, triggers=()):
        """Sends data from direction d in segments of at most seg bytes; triggers are
        (end_offset, gid, sid, minv, maxv): the alert is due on the segment holding
        byte end_offset - 1."""
        off = 0
        while off < len(data):
            chunk = data[off:off + seg]
            alerts = [(g, s, lo, hi) for (end, g, s, lo, hi) in triggers
                      if off < end <= off + len(chunk)]
            self.pkt(d, self.ACK | self.PSH, chunk, alerts)
            self.seq[d] += len(chunk)
            off += len(chunk)

    def close(self):
        self.pkt(0, self.FIN | self.ACK, b"")
        self.seq[0] += 1
        self.pkt(1, self.FIN | self.ACK, b"")
        self.seq[1] += 1
        self.pkt(0, self.ACK, b"")


def end_of(data, needle):
    i = data.index(needle)
    return i + len(needle)


def http_response(body):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def http_flow(kind, flow, rnd, client, cport, server):
    conv = TcpConv(flow, client, cport, server, 80, rnd)
    path = "/" + "/".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 3)))
    if kind == "plain":
        for _ in range(rnd.randint(1, 3)):
            req = b"GET %s HTTP/1.1\r\nHost: www.example.com\r\n\r\n" % path.encode()
            conv.send(0, req, rnd.randint(20, 80))
            conv.send(1, http_response(b"x" * rnd.randint(10, 300)), 200)
    elif kind == "split":  # the signature over many one-byte segments
        req = (b"POST /upload HTTP/1.1\r\nHost: www.example.com\r\nX-Note: evil-payload\r\n"
               b"Content-Length: 0\r\n\r\n")
        head = req.index(b"evil-payload") - 4
        conv.send(0, req[:head], 40)
        conv.send(0, req[head:], 1, [(end_of(req, b"evil-payload") - head, 1, 1001) + ALL])
        flow.straddle = 1001
        conv.send(1, http_response(b"ok"), 200)
    elif kind == "pcre":
        req = b"GET /cgi-bin/%s.exe?q=1 HTTP/1.1\r\nHost: x\r\n\r\n" % rnd.choice(WORDS).encode()
        conv.send(0, req, 7, [(end_of(req, b".exe"), 1, 1002) + ALL])
        conv.send(1, http_response(b"no"), 200)
    elif kind == "method":  # 119:31 from release 2 on
        req = b"PROPFIND /dav/ HTTP/1.1\r\nHost: x\r\n\r\n"
        conv.send(0, req, 9, [(end_of(req, b"\r\n"), 119, 31, 2, 4)])
        conv.send(1, http_response(b"multi"), 200)
    elif kind == "chunk_ext":  # false positive of 119:16 in releases 1 and 2
        conv.send(0, b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 50)
        resp = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"a;name=value\r\n0123456789\r\n0\r\n\r\n")
        conv.send(1, resp, 11, [(end_of(resp, b"a;name=value\r\n"), 119, 16, 1, 2)])
    elif kind == "chunk_big":  # a real oversized chunk: every release
        conv.send(0, b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n", 50)
        body = b"y" * 0x2000
        resp = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n" + body +
                b"\r\n0\r\n\r\n")
        conv.send(1, resp, 1400, [(end_of(resp, b"2000\r\n"), 119, 16) + ALL])
    elif kind == "long_uri":  # the URI rule sees past 63 bytes from release 4 on
        uri = b"/" + b"/".join(rnd.choice(WORDS).encode() for _ in range(14))
        uri = (uri + b"/padding" * 8)[:70] + b"/secret-area/file"
        req = b"GET " + uri + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        conv.send(0, req, 5, [(end_of(req, b"\r\n"), 1, 1003, 4, 4)])
        conv.send(1, http_response(b"z"), 200)
    conv.close()


def sip_flow(flow, rnd, client, cport, server, ndialogs, evil):
    for i in range(ndialogs):
        call_id = "%08x@%d.example" % (rnd.randrange(1 << 32), i)
        user = "evil" if evil and i == 0 else rnd.choice(["alice", "bob", "carol"])
        invite = ("INVITE sip:%s@example.com SIP/2.0\r\nVia: SIP/2.0/UDP client\r\n"
                  "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
                  % (user, call_id)).encode()
        alerts = []
        if user == "evil":
            alerts.append((1, 1004) + ALL)
        if i >= 4:  # more than max_dialogs_per_session (4), release 3 on
            alerts.append((140, 27, 3, 4))
        flow.add(udp_frame(client, cport, server, 5060, invite, True), alerts)
        if rnd.random() < 0.3:  # a retransmission: the same dialog
            flow.add(udp_frame(client, cport, server, 5060, invite, True),
                     [a for a in alerts if a[1] == 1004])
        ok = ("SIP/2.0 200 OK\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n\r\n" % call_id).encode()
        flow.add(udp_frame(server, 5060, client, cport, ok, False))


def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_flow(flow, rnd, client, cport, server, kind):
    qid = rnd.randrange(1 << 16)
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    if kind == "malware":
        q, alerts = dns_name("malware.example.com") + b"\0\1\0\1", [(1, 1005) + ALL]
    elif kind == "overflow":  # a label longer than what is left: 131:1 from release 2 on
        q, alerts = bytes([50]) + b"truncated", [(131, 1, 2, 4)]
    else:
        q, alerts = dns_name("%s.example.org" % rnd.choice(WORDS)) + b"\0\1\0\1", []
    flow.add(udp_frame(client, cport, server, 53, hdr + q, True), alerts)
    if kind != "overflow":
        resp = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c\0\1\0\1" \
               b"\0\0\0\x3c\0\x04\x0a\0\0\x01"
        flow.add(udp_frame(server, 53, client, cport, resp, False))


def build(scale, seed):
    rnd = random.Random(seed)
    flows = []
    span = 1000 * scale  # slots over which flows start

    def new_flow(name, gap):
        f = Flow(name, rnd.randrange(span), gap)
        flows.append(f)
        return f

    port = [20000]

    def endpoints(server_net):
        port[0] += 1
        client = [10, 0, rnd.randrange(256), rnd.randrange(1, 255)]
        return client, port[0], [10, 1, server_net, rnd.randrange(1, 20)]

    plan = [("plain", 60), ("pcre", 4), ("method", 4), ("chunk_ext", 4), ("chunk_big", 2),
            ("long_uri", 4)]
    for kind, n in plan:
        for i in range(n * scale):
            c, cp, s = endpoints(0)
            http_flow(kind, new_flow("http-%s-%d" % (kind, i), rnd.randint(2, 6)), rnd, c, cp, s)
    # the straddling flows: one byte every ~25 slots, started evenly over the capture
    nsplit = 12 * scale
    for i in range(nsplit):
        c, cp, s = endpoints(0)
        f = Flow("http-split-%d" % i, i * (span + 600) // nsplit, 25)
        flows.append(f)
        http_flow("split", f, rnd, c, cp, s)
    for i in range(16 * scale):
        c, cp, s = endpoints(2)
        sip_flow(new_flow("sip-%d" % i, rnd.randint(20, 60)), rnd, c, cp, s,
                 rnd.choice([1, 2, 3, 6, 7]), i % 5 == 0)
    for i in range(120 * scale):
        c, cp, s = endpoints(3)
        kind = "malware" if i % 15 == 0 else "overflow" if i % 17 == 0 else "plain"
        dns_flow(new_flow("dns-%d" % i, 3), rnd, c, cp, s, kind)

    timeline = []
    for fi, f in enumerate(flows):
        for pi, pkt in enumerate(f.packets):
            timeline.append((f.start + pi * f.gap, fi, pi, pkt))
    timeline.sort(key=lambda t: t[:3])
    return flows, timeline


def write(out, expect, flows, timeline):
    with open(out, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, (_, _, _, (frame, _)) in enumerate(timeline):
            sec, usec = 1700000000 + n // 1000, (n % 1000) * 1000
            w.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
    first, trigger = {}, {}
    lines = []
    for n, (_, fi, _, (_, alerts)) in enumerate(timeline, 1):
        first.setdefault(fi, n)
        for gid, sid, lo, hi in alerts:
            lines.append("alert %d %d %d %d %d" % (n, gid, sid, lo, hi))
            if flows[fi].straddle == sid:
                trigger[fi] = n
    for fi in sorted(trigger):
        lines.append("straddle %s %d %d %d" % (flows[fi].name, first[fi], trigger[fi],
                                                flows[fi].straddle))
    lines.append("packets %d" % len(timeline))
    with open(expect, "w") as w:
        w.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", required=True, help="the pcap file to write")
    ap.add_argument("--expect", required=True, help="the expectations file to write")
    ap.add_argument("--scale", type=int, default=1, help="multiplies every flow count")
    ap.add_argument("--seed", type=int, default=14)
    a = ap.parse_args()
    flows, timeline = build(a.scale, a.seed)
    write(a.o, a.expect, flows, timeline)


if __name__ == "__main__":
    main()

/* decode.c - the packet decoder: Ethernet II, IPv4, TCP and UDP headers into a struct
 * packet.  Every length is checked against the captured bytes; anything else (ARP,
 * IPv6, fragments, truncated headers) is counted as undecoded. */
#include <netinet/in.h>
#include <string.h>

#include "inspector.h"

static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int decode_tcp(const uint8_t *l4, uint32_t len, struct packet *p)
{
    if (len < 20)
        return -1;
    uint32_t hlen = (uint32_t)(l4[12] >> 4) * 4;
    if (hlen < 20 || hlen > len)
        return -1;
    p->sport = get16(l4);
    p->dport = get16(l4 + 2);
    p->seq = get32(l4 + 4);
    p->tcp_flags = l4[13];
    p->payload = l4 + hlen;
    p->plen = len - hlen;
    return 0;
}

static int decode_udp(const uint8_t *l4, uint32_t len, struct packet *p)
{
    if (len < 8)
        return -1;
    uint32_t ulen = get16(l4 + 4);
    if (ulen < 8 || ulen > len)
        return -1;
    p->sport = get16(l4);
    p->dport = get16(l4 + 2);
    p->payload = l4 + 8;
    p->plen = ulen - 8;
    return 0;
}

int decode_packet(const uint8_t *frame, uint32_t caplen, struct packet *p)
{
    p->data = frame;
    p->caplen = caplen;
    p->flow = NULL;
    p->payload = NULL;
    p->plen = 0;
    if (caplen < 14 + 20 || get16(frame + 12) != 0x0800)
        return -1;
    const uint8_t *ip = frame + 14;
    uint32_t avail = caplen - 14;
    uint32_t ihl = (uint32_t)(ip[0] & 15) * 4;
    uint32_t total = get16(ip + 2);
    if (ip[0] >> 4 != 4 || ihl < 20 || total < ihl || total > avail)
        return -1;
    if (get16(ip + 6) & 0x3fff) /* a fragment: not reassembled */
        return -1;
    p->proto = ip[9];
    p->saddr = get32(ip + 12);
    p->daddr = get32(ip + 16);
    counters.ipv4++;
    if (p->proto == IPPROTO_TCP)
        return decode_tcp(ip + ihl, total - ihl, p);
    if (p->proto == IPPROTO_UDP)
        return decode_udp(ip + ihl, total - ihl, p);
    return -1;
}

/* stream.c - the TCP stream preprocessor: a flow table keyed by the connection's
 * addresses and ports, and per direction a reassembly buffer holding the latest
 * in-order bytes (STREAM_BUF_MAX), which the protocol preprocessors and the rules read.
 * Out-of-order segments are not queued: a gap resynchronises on the next segment.
 * A flow ends with a reset or a FIN each way; a flow that never ends stays until the
 * table is full (no idle timeout), after which new flows are counted in flows_full. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "inspector.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04

static struct flow_table flows;

void stream_init(unsigned max_flows)
{
    flows.nbuckets = 1024;
    flows.buckets = calloc(flows.nbuckets, sizeof *flows.buckets);
    flows.max_flows = max_flows ? max_flows : 4096;
}

static unsigned flow_hash(uint32_t a, uint16_t ap, uint32_t b, uint16_t bp)
{
    /* symmetric: both directions of a connection hash alike */
    uint32_t h = (a ^ b) * 2654435761u ^ (uint32_t)(ap ^ bp) * 40503u;
    return h % flows.nbuckets;
}

static int flow_matches(const struct flow *f, const struct packet *p, int *dir)
{
    if (f->caddr == p->saddr && f->cport == p->sport && f->saddr == p->daddr &&
        f->sport == p->dport)
        *dir = 0;
    else if (f->caddr == p->daddr && f->cport == p->dport && f->saddr == p->saddr &&
             f->sport == p->sport)
        *dir = 1;
    else
        return 0;
    return 1;
}

struct flow *stream_flow(struct packet *p)
{
    unsigned h = flow_hash(p->saddr, p->sport, p->daddr, p->dport);
    for (struct flow *f = flows.buckets[h]; f; f = f->next)
        if (flow_matches(f, p, &p->dir))
            return p->flow = f;
    if (flows.nflows >= flows.max_flows) {
        counters.flows_full++;
        return NULL;
    }
    struct flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->caddr = p->saddr;
    f->cport = p->sport;
    f->saddr = p->daddr;
    f->sport = p->dport;
    f->proto = p->proto;
    f->next = flows.buckets[h];
    flows.buckets[h] = f;
    flows.nflows++;
    counters.flows++;
    p->dir = 0;
    return p->flow = f;
}

static int buf_append(struct stream_buf *b, const uint8_t *data, uint32_t len)
{
    if (!b->data && !(b->data = malloc(STREAM_BUF_MAX)))
        return -1;
    if (len > STREAM_BUF_MAX) {
        data += len - STREAM_BUF_MAX;
        len = STREAM_BUF_MAX;
    }
    if (b->len + len > STREAM_BUF_MAX) { /* keep the latest bytes */
        uint32_t drop = b->len + len - STREAM_BUF_MAX;
        memmove(b->data, b->data + drop, b->len - drop);
        b->len -= drop;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

uint32_t stream_add(struct packet *p)
{
    struct stream_buf *b = &p->flow->dir[p->dir];
    p->flow->last_ordinal = p->ordinal;
    if (p->tcp_flags & TH_SYN) {
        b->next_seq = p->seq + 1;
        b->have_seq = 1;
        return 0;
    }
    if (!p->plen)
        return 0;
    const uint8_t *data = p->payload;
    uint32_t len = p->plen;
    if (b->have_seq) {
        int32_t off = (int32_t)(b->next_seq - p->seq);
        if (off >= (int32_t)len) /* all seen before */
            return 0;
        if (off > 0) { /* partly seen before */
            data += off;
            len -= (uint32_t)off;
        }
    }
    if (buf_append(b, data, len) < 0)
        return 0;
    b->next_seq = p->seq + p->plen;
    b->have_seq = 1;
    counters.stream_bytes += len;
    return len;
}

static void flow_free(struct flow *f)
{
    const struct pp_ops *ops = NULL;
    for (struct pp_node *n = conf->preprocessors; n; n = n->next)
        if (n->kind == f->pp_kind)
            ops = n->ops;
    if (f->pp_state && ops && ops->free_session)
        ops->free_session(f->pp_state);
    free(f->dir[0].data);
    free(f->dir[1].data);
    free(f);
}

/* A flow ends with a reset or with a FIN each way (the last FIN's flow is freed after
 * its packet has been inspected). */
void stream_close_if_done(struct packet *p)
{
    struct flow *f = p->flow;
    if (!f)
        return;
    if (p->tcp_flags & TH_FIN)
        f->dir[p->dir].fin = 1;
    if (!(p->tcp_flags & TH_RST) && !(f->dir[0].fin && f->dir[1].fin))
        return;
    unsigned h = flow_hash(f->caddr, f->cport, f->saddr, f->sport);
    for (struct flow **pp = &flows.buckets[h]; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    flows.nflows--;
    flow_free(f);
    p->flow = NULL;
}

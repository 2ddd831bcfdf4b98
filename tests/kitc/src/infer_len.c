/* infer_len.c - lengths of arrays read from their allocations: a field of the same
 * object (buckets, items: also through a pointer parameter, by realloc), a constant
 * (recs); lengths that differ (mixed), are 1 (one), a local (local_n), a field of
 * another object (other_base) or a byte count (bytes) infer nothing; an annotation
 * wins (annotated). */
#include <kitsune.h>
#include <stdlib.h>

struct flow { int a; struct flow *next; };
struct table { unsigned nbuckets; struct flow **buckets;
               unsigned cap; struct flow *items; };
struct rec { int id; long w; };

static struct table flows, other;
struct table *tables;
struct rec *recs;
struct rec *mixed;
struct rec *one;
struct rec *local_n;
struct rec *other_base;
struct rec *bytes;
struct rec *annotated E_PTRARRAY(2);

static void grow_items(struct table *t)
{
    t->cap *= 2;
    t->items = realloc(t->items, t->cap * sizeof *t->items);
}

int main(int argc, char **argv)
{
    (void)argv;
    flows.nbuckets = 64;
    flows.buckets = calloc(flows.nbuckets, sizeof *flows.buckets);
    flows.cap = 4;
    flows.items = malloc(sizeof(struct flow) * flows.cap);
    grow_items(&flows);
    recs = malloc(4 * sizeof *recs);
    mixed = malloc(4 * sizeof *mixed);
    if (argc > 3)
        mixed = calloc(8, sizeof(struct rec));
    one = calloc(1, sizeof *one);
    int n = argc * 3;
    local_n = calloc(n, sizeof *local_n);
    other.cap = 3;
    other_base = calloc(other.cap, sizeof *other_base);
    bytes = malloc(64);
    annotated = calloc(2, sizeof *annotated);
    return recs && flows.buckets && one && local_n && other_base && bytes && annotated ? 0 : 1;
}

/* dict.c - a chained hash table of entries keyed by byte strings, rehashed
 * incrementally (as Redis's dict): when the table holds as many entries as buckets, a
 * second table twice as large is made, and every later operation moves one bucket of
 * the old table to the new one (the listener moves more between accepts), so no
 * single operation pays for rehashing everything.  The caller does the locking. */
#include <stdlib.h>
#include <string.h>

#include "kvstore.h"

#define DICT_INITIAL_SIZE 16
#define EMPTY_VISITS 10 /* empty buckets one step may skip */

/* FNV-1a, 64 bits. */
uint64_t dict_hash(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int key_equal(const struct entry *e, const char *key, size_t klen)
{
    return e->klen == klen && memcmp(e->key, key, klen) == 0;
}

int dict_is_rehashing(const struct dict *d)
{
    return d->rehashidx >= 0;
}

static int ht_init(struct dictht *ht, unsigned long size)
{
    ht->table = calloc(size, sizeof *ht->table);
    if (!ht->table)
        return -1;
    ht->size = size;
    ht->sizemask = size - 1;
    ht->used = 0;
    return 0;
}

/* Moves up to n buckets from table 0 to table 1; returns 0 once rehashing is done. */
int dict_rehash(struct dict *d, int n)
{
    int empty_visits = n * EMPTY_VISITS;
    if (!dict_is_rehashing(d))
        return 0;
    while (n-- && d->ht[0].used) {
        while (d->ht[0].table[d->rehashidx] == NULL) {
            d->rehashidx++;
            if (--empty_visits == 0)
                return 1;
        }
        struct entry *e = d->ht[0].table[d->rehashidx];
        while (e) {
            struct entry *next = e->next;
            unsigned long b = dict_hash(e->key, e->klen) & d->ht[1].sizemask;
            e->next = d->ht[1].table[b];
            d->ht[1].table[b] = e;
            d->ht[0].used--;
            d->ht[1].used++;
            e = next;
        }
        d->ht[0].table[d->rehashidx++] = NULL;
    }
    if (d->ht[0].used)
        return 1;
    free(d->ht[0].table);
    d->ht[0] = d->ht[1];
    memset(&d->ht[1], 0, sizeof d->ht[1]);
    d->rehashidx = -1;
    return 0;
}

/* Rehashes for about `ms` milliseconds. */
void dict_rehash_ms(struct dict *d, int ms)
{
    long long start = now_ms();
    while (dict_rehash(d, 100))
        if (now_ms() - start >= ms)
            break;
}

static void rehash_step(struct dict *d)
{
    if (dict_is_rehashing(d))
        dict_rehash(d, 1);
}

static void expand_if_needed(struct dict *d)
{
    if (dict_is_rehashing(d))
        return;
    if (d->ht[0].size == 0) {
        ht_init(&d->ht[0], DICT_INITIAL_SIZE);
    } else if (d->ht[0].used >= d->ht[0].size && ht_init(&d->ht[1], d->ht[0].size * 2) == 0) {
        d->rehashidx = 0;
    }
}

struct entry *dict_find(struct dict *d, const char *key, size_t klen)
{
    if (dict_size(d) == 0)
        return NULL;
    rehash_step(d);
    uint64_t h = dict_hash(key, klen);
    for (int t = 0; t <= 1; t++) {
        if (d->ht[t].size == 0)
            break;
        for (struct entry *e = d->ht[t].table[h & d->ht[t].sizemask]; e; e = e->next)
            if (key_equal(e, key, klen))
                return e;
        if (!dict_is_rehashing(d))
            break;
    }
    return NULL;
}

/* Adds an entry whose key is not in the table. */
void dict_add(struct dict *d, struct entry *e)
{
    rehash_step(d);
    expand_if_needed(d);
    struct dictht *ht = &d->ht[dict_is_rehashing(d) ? 1 : 0];
    if (ht->size == 0)
        return; /* out of memory */
    struct entry **b = &ht->table[dict_hash(e->key, e->klen) & ht->sizemask];
    e->next = *b;
    *b = e;
    ht->used++;
}

/* Removes the entry with this key from the table and returns it (or NULL). */
struct entry *dict_unlink(struct dict *d, const char *key, size_t klen)
{
    if (dict_size(d) == 0)
        return NULL;
    rehash_step(d);
    uint64_t h = dict_hash(key, klen);
    for (int t = 0; t <= 1; t++) {
        if (d->ht[t].size == 0)
            break;
        for (struct entry **p = &d->ht[t].table[h & d->ht[t].sizemask]; *p; p = &(*p)->next) {
            struct entry *e = *p;
            if (key_equal(e, key, klen)) {
                *p = e->next;
                d->ht[t].used--;
                return e;
            }
        }
        if (!dict_is_rehashing(d))
            break;
    }
    return NULL;
}

unsigned long dict_size(const struct dict *d)
{
    return d->ht[0].used + d->ht[1].used;
}

unsigned long dict_buckets(const struct dict *d)
{
    return d->ht[0].size + d->ht[1].size;
}

/* The chain of bucket i of table t (i < that table's size), for scans. */
struct entry *dict_bucket(struct dict *d, int t, unsigned long i)
{
    return d->ht[t].table[i];
}

/* dict.c - a chained hash table of entries keyed by byte strings.
 *
 * The table has a power-of-two number of buckets and doubles when it holds as many
 * entries as buckets, rehashing everything at once.  The caller does the locking. */
#include <stdlib.h>
#include <string.h>

#include "kvstore.h"

#define DICT_INITIAL_SIZE 16

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

static struct entry **bucket(struct dict *d, const char *key, size_t klen)
{
    return &d->table[dict_hash(key, klen) & (d->size - 1)];
}

struct entry *dict_find(struct dict *d, const char *key, size_t klen)
{
    if (d->size == 0)
        return NULL;
    for (struct entry *e = *bucket(d, key, klen); e; e = e->next)
        if (key_equal(e, key, klen))
            return e;
    return NULL;
}

static void resize(struct dict *d, unsigned long size)
{
    struct entry **table = calloc(size, sizeof *table);
    if (!table)
        return; /* keep the longer chains */
    for (unsigned long i = 0; i < d->size; i++) {
        struct entry *e = d->table[i];
        while (e) {
            struct entry *next = e->next;
            unsigned long b = dict_hash(e->key, e->klen) & (size - 1);
            e->next = table[b];
            table[b] = e;
            e = next;
        }
    }
    free(d->table);
    d->table = table;
    d->size = size;
}

/* Adds an entry whose key is not in the table. */
void dict_add(struct dict *d, struct entry *e)
{
    if (d->size == 0)
        resize(d, DICT_INITIAL_SIZE);
    else if (d->used >= d->size)
        resize(d, d->size * 2);
    struct entry **b = bucket(d, e->key, e->klen);
    e->next = *b;
    *b = e;
    d->used++;
}

/* Removes the entry with this key from the table and returns it (or NULL). */
struct entry *dict_unlink(struct dict *d, const char *key, size_t klen)
{
    if (d->size == 0)
        return NULL;
    for (struct entry **p = bucket(d, key, klen); *p; p = &(*p)->next) {
        struct entry *e = *p;
        if (key_equal(e, key, klen)) {
            *p = e->next;
            d->used--;
            return e;
        }
    }
    return NULL;
}

/* The chain of bucket i (i < d->size), for scans. */
struct entry *dict_bucket(struct dict *d, unsigned long i)
{
    return d->table[i];
}

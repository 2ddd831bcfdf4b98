/* opaque_hash.c - defines struct hash; no variable here (see opaque.h). */
#include <stdlib.h>

#include "opaque.h"
#include "opaque_session.h"

struct bucket {
    int key, value;
    struct bucket *next;
};

/* Another struct entry than opaque_lib/lib.c's. */
struct entry {
    int key, value;
};

int entry_key(struct entry *e)
{
    return e->key;
}

struct hash {
    int nbuckets;
    struct bucket **buckets;
};

struct hash *hash_new(int nbuckets)
{
    struct hash *h = malloc(sizeof *h);
    h->nbuckets = nbuckets;
    h->buckets = calloc((size_t)nbuckets, sizeof *h->buckets);
    return h;
}

int hash_put(struct hash *h, int key, int value)
{
    struct bucket *b = malloc(sizeof *b);
    b->key = key;
    b->value = value;
    b->next = h->buckets[key % h->nbuckets];
    h->buckets[key % h->nbuckets] = b;
    return 0;
}

struct session *session_new(int id)
{
    struct session *s = malloc(sizeof *s);
    s->id = id;
    s->h = hash_new(8);
    return s;
}

/* redis.c - a redis-like keyspace of N keys: a chained dict (`dictEntry **table`) of
 * entries whose `void *val` is an object (robj) and whose `void *ptr` leads, by type,
 * to a string (half the keys), a list of 3 string objects or a set (a dict of 3
 * members); rules reach the values with $xform, as Kitsune's redis port does.
 * VERSION 1: the base; 2: the object gains a field (every robj is rebuilt). */
#include <string.h>

#include "heap.h"

enum { T_STRING, T_LIST, T_SET };

struct robj {
    unsigned type : 4;
    unsigned encoding : 4;
    int refcount;
#if VERSION == 2
    long lru;
#endif
    void *ptr;
};

struct listNode {
    struct listNode *prev, *next;
    void *value; /* a struct robj */
};

struct list {
    struct listNode *head, *tail;
    unsigned long len;
};

struct dictEntry {
    char *key;
    void *val; /* a struct robj; NULL in a set */
    struct dictEntry *next;
};

struct dict {
    struct dictEntry **table E_PTRARRAY(self.size);
    unsigned long size;
    unsigned long used;
};

struct dict *db;
struct robj *last_obj; /* the types behind the void pointers reach the summary */
struct list *last_list;

static unsigned long hash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static struct dict *dict_new(unsigned long size)
{
    struct dict *d = calloc(1, sizeof *d);
    d->size = size;
    d->table = calloc(size, sizeof *d->table);
    return d;
}

static void dict_add(struct dict *d, const char *key, void *val)
{
    struct dictEntry *e = malloc(sizeof *e);
    e->key = strdup(key);
    e->val = val;
    unsigned long b = hash(key) % d->size;
    e->next = d->table[b];
    d->table[b] = e;
    d->used++;
}

static struct robj *obj_new(unsigned type, void *ptr)
{
    struct robj *o = calloc(1, sizeof *o);
    o->type = type;
    o->refcount = 1;
    o->ptr = ptr;
    return o;
}

static int check_obj(const struct robj *o, int depth)
{
    if (o->refcount != 1)
        return 0;
#if VERSION == 2
    if (o->lru != 1000 + o->type)
        return 0;
#endif
    if (o->type == T_STRING)
        return ((const char *)o->ptr)[0] == 'v';
    if (depth > 0)
        return 0;
    if (o->type == T_LIST) {
        const struct list *l = o->ptr;
        unsigned long n = 0;
        for (const struct listNode *p = l->head; p; p = p->next, n++)
            if (!check_obj(p->value, 1))
                return 0;
        return n == l->len;
    }
    const struct dict *s = o->ptr;
    return s->used == 3;
}

static int check(void)
{
    unsigned long n = 0;
    for (unsigned long b = 0; b < db->size; b++)
        for (const struct dictEntry *e = db->table[b]; e; e = e->next, n++)
            if (!check_obj(e->val, 0))
                return 0;
    return n == db->used;
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        long n = heap_size_arg(argc, argv);
        db = dict_new((unsigned long)n);
        char key[32], val[32];
        for (long i = 0; i < n; i++) {
            snprintf(key, sizeof key, "key:%ld", i);
            snprintf(val, sizeof val, "v%ld", i);
            struct robj *o;
            if (i % 4 < 2) {
                o = obj_new(T_STRING, strdup(val));
            } else if (i % 4 == 2) {
                struct list *l = calloc(1, sizeof *l);
                for (int j = 0; j < 3; j++) {
                    struct listNode *p = calloc(1, sizeof *p);
                    p->value = obj_new(T_STRING, strdup(val));
                    p->prev = l->tail;
                    if (l->tail)
                        l->tail->next = p;
                    else
                        l->head = p;
                    l->tail = p;
                    l->len++;
                }
                o = obj_new(T_LIST, l);
            } else {
                struct dict *s = dict_new(4);
                for (int j = 0; j < 3; j++) {
                    snprintf(val, sizeof val, "m%d", j);
                    dict_add(s, val, NULL);
                }
                o = obj_new(T_SET, s);
            }
            dict_add(db, key, o);
        }
    }
    heap_loop(check);
}

/* A redis-like object graph on the forwarding engine: a dict (chained, two `dictEntry
 * **table E_PTRARRAY(self.size)` held inline in `struct dictht ht[2]`: arrays of
 * pointers to rebuilt entries, the second one empty) whose values
 * are `void *` to objects (robj) that gain a field; each robj's `void *ptr` leads, by
 * its type, to a string, a list of robj or a set (a dict of string keys).  Rules reach
 * the values with $xform (as Kitsune's redis port does).  Checked after the update:
 * every key, value, list element and set member, sharing (one robj in two places), a
 * NULL value; also an array of rebuilt objects (E_PTRARRAY) and a pointer into a
 * rebuilt robj (its refcount).  SIGUSR1 prints a digest of the whole graph (tests/lib/run_faults.sh:
 * a failed forwarded update must leave it exactly as it was).
 * kitsune-test: env=KITSUNE_ENGINE=fast
 * kitsune-test: expect objects_transformed >= 200 */
#include <signal.h>
#include <stdint.h>

#include "scenario.h"

#define NKEYS 64

enum { T_STRING, T_LIST, T_SET };

struct robj {
    unsigned type : 4;
    unsigned encoding : 4;
    int refcount;
#if VERSION >= 2
    long lru; /* new: set by the rule */
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
    void *val; /* a struct robj, or NULL in a set */
    struct dictEntry *next;
};

struct dictht {
    struct dictEntry **table E_PTRARRAY(self.size);
    unsigned long size;
    unsigned long used;
};

/* As in redis: two tables (the second one used while rehashing; here empty). */
struct dict {
    struct dictht ht[2];
    long rehashidx;
};

struct sample {
    int at;
#if VERSION >= 2
    int weight; /* new: set by the rule */
#endif
    long value;
};

struct dict *db;
struct sample *samples E_PTRARRAY(8);
int *shared_refcount; /* &shared_obj->refcount */
/* The types behind the void pointers are among those the variables reach. */
struct robj *shared_obj;
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
    d->rehashidx = -1;
    d->ht[0].size = size;
    d->ht[0].table = calloc(size, sizeof *d->ht[0].table);
    return d;
}

static void dict_add(struct dict *d, const char *key, void *val)
{
    struct dictEntry *e = malloc(sizeof *e);
    e->key = strdup(key);
    e->val = val;
    unsigned long b = hash(key) % d->ht[0].size;
    e->next = d->ht[0].table[b];
    d->ht[0].table[b] = e;
    d->ht[0].used++;
}

static struct dictEntry *dict_find(struct dict *d, const char *key)
{
    for (struct dictEntry *e = d->ht[0].table[hash(key) % d->ht[0].size]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static struct robj *obj_new(unsigned type, void *ptr)
{
    struct robj *o = calloc(1, sizeof *o);
    o->type = type;
    o->refcount = 1;
    o->ptr = ptr;
    return o;
}

static struct robj *string_obj(const char *s)
{
    return obj_new(T_STRING, strdup(s));
}

static unsigned long long mix(unsigned long long h, unsigned long long v)
{
    return (h ^ v) * 0x100000001b3ULL;
}

static unsigned long long digest_str(unsigned long long h, const char *s)
{
    for (h = mix(h, (uintptr_t)s); *s; s++)
        h = mix(h, (unsigned char)*s);
    return h;
}

static unsigned long long digest_dict(unsigned long long h, const struct dict *d);

static unsigned long long digest_obj(unsigned long long h, const struct robj *o)
{
    h = mix(h, (uintptr_t)o);
    if (!o)
        return h;
    h = mix(mix(mix(h, o->type), o->refcount), (uintptr_t)o->ptr);
    if (o->type == T_STRING)
        return digest_str(h, o->ptr);
    if (o->type == T_SET)
        return digest_dict(h, o->ptr);
    const struct list *l = o->ptr;
    h = mix(mix(mix(h, (uintptr_t)l->head), (uintptr_t)l->tail), l->len);
    for (const struct listNode *n = l->head; n; n = n->next)
        h = digest_obj(mix(mix(mix(h, (uintptr_t)n), (uintptr_t)n->prev), (uintptr_t)n->next),
                       n->value);
    return h;
}

static unsigned long long digest_dict(unsigned long long h, const struct dict *d)
{
    h = mix(mix(mix(h, (uintptr_t)d), (uintptr_t)d->ht[0].table), d->ht[0].size);
    h = mix(mix(mix(h, d->ht[0].used), (uintptr_t)d->ht[1].table), (unsigned long)d->rehashidx);
    for (unsigned long b = 0; b < d->ht[0].size; b++)
        for (const struct dictEntry *e = d->ht[0].table[b]; e; e = e->next)
            h = digest_obj(digest_str(mix(mix(h, (uintptr_t)e), (uintptr_t)e->next), e->key),
                           e->val);
    return h;
}

static unsigned long long digest_all(void)
{
    unsigned long long h = digest_dict(0xcbf29ce484222325ULL, db);
    h = mix(mix(h, (uintptr_t)samples), (uintptr_t)shared_refcount);
    for (int i = 0; i < 8; i++)
        h = mix(mix(h, (unsigned)samples[i].at), (unsigned long long)samples[i].value);
    return h;
}

static volatile sig_atomic_t want_digest;

static void on_usr1(int sig)
{
    (void)sig;
    want_digest = 1;
}

int main(void)
{
    kitsune_do_automigrate();
    signal(SIGUSR1, on_usr1);
    char key[32], val[32];
    if (!kitsune_is_updating()) {
        db = dict_new(17);
        shared_obj = string_obj("shared");
        shared_obj->refcount = 3;
        for (int i = 0; i < NKEYS; i++) {
            snprintf(key, sizeof key, "key:%d", i);
            if (i % 3 == 0) {
                snprintf(val, sizeof val, "value %d", i);
                dict_add(db, key, string_obj(val));
            } else if (i % 3 == 1) {
                struct list *l = calloc(1, sizeof *l);
                for (int j = 0; j < i % 5 + 1; j++) {
                    struct listNode *n = calloc(1, sizeof *n);
                    snprintf(val, sizeof val, "%d.%d", i, j);
                    n->value = j == 2 ? shared_obj : string_obj(val);
                    n->prev = l->tail;
                    if (l->tail)
                        l->tail->next = n;
                    else
                        l->head = n;
                    l->tail = n;
                    l->len++;
                }
                dict_add(db, key, obj_new(T_LIST, l));
                last_list = l;
            } else {
                struct dict *s = dict_new(4);
                for (int j = 0; j < i % 4 + 1; j++) {
                    snprintf(val, sizeof val, "m%d", j);
                    dict_add(s, val, NULL);
                }
                dict_add(db, key, obj_new(T_SET, s));
            }
        }
        dict_add(db, "shared", shared_obj);
        dict_add(db, "null", NULL);
        shared_refcount = &shared_obj->refcount;
        samples = malloc(8 * sizeof *samples);
        for (int i = 0; i < 8; i++)
            samples[i] = (struct sample){.at = i, .value = 10L * i};
    } else {
        CHECK_INT(db->ht[0].used, NKEYS + 2);
        CHECK(db->ht[1].table == NULL && db->ht[1].size == 0 && db->rehashidx == -1);
        struct robj *shared = dict_find(db, "shared")->val;
        CHECK(shared == shared_obj);
        CHECK_STR(shared->ptr, "shared");
        CHECK_INT(shared->refcount, 3);
        CHECK(dict_find(db, "null") && dict_find(db, "null")->val == NULL);
        CHECK(shared_refcount == &shared->refcount);
        for (int i = 0; i < 8; i++) {
            CHECK_INT(samples[i].at, i);
            CHECK_INT(samples[i].value, 10L * i);
#if VERSION >= 2
            CHECK_INT(samples[i].weight, 3);
#endif
        }
        for (int i = 0; i < NKEYS; i++) {
            snprintf(key, sizeof key, "key:%d", i);
            struct dictEntry *e = dict_find(db, key);
            CHECK(e != NULL);
            if (!e)
                continue;
            struct robj *o = e->val;
            CHECK_INT(o->type, i % 3);
            CHECK_INT(o->refcount, 1);
#if VERSION >= 2
            CHECK_INT(o->lru, 1000 + o->type);
#endif
            if (i % 3 == 0) {
                snprintf(val, sizeof val, "value %d", i);
                CHECK_STR(o->ptr, val);
            } else if (i % 3 == 1) {
                struct list *l = o->ptr;
                CHECK_INT(l->len, i % 5 + 1);
                int j = 0;
                struct listNode *prev = NULL;
                for (struct listNode *n = l->head; n; prev = n, n = n->next, j++) {
                    CHECK(n->prev == prev);
                    struct robj *v = n->value;
                    snprintf(val, sizeof val, "%d.%d", i, j);
                    CHECK_STR(v->ptr, j == 2 ? "shared" : val);
                    CHECK(j != 2 || v == shared);
#if VERSION >= 2
                    CHECK_INT(v->lru, 1000);
#endif
                }
                CHECK(l->tail == prev);
                CHECK_INT(j, i % 5 + 1);
            } else {
                struct dict *s = o->ptr;
                CHECK_INT(s->ht[0].used, i % 4 + 1);
                for (int j = 0; j < i % 4 + 1; j++) {
                    snprintf(val, sizeof val, "m%d", j);
                    CHECK(dict_find(s, val) != NULL);
                }
            }
        }
        scenario_report();
    }
    if (!kitsune_is_updating()) {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        if (want_digest) {
            want_digest = 0;
            printf("digest %llx\n", digest_all());
            fflush(stdout);
        }
        usleep(1000);
    }
}

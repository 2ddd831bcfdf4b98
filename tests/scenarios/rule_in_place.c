/* Field rules on objects whose layout stays, as Kitsune's redis rules run one on every
 * robj (struct redisObject.ptr, dispatched on the object's type): the general engine
 * ($xform in the rules) runs them on the objects themselves, keeping a copy of each old
 * object, instead of rebuilding every object and fixing every pointer to it.
 * The rule on ptr follows list values with $xform, whose headers hold a function
 * pointer (remapped in place); the rule on gen changes a value in place.  The first
 * attempt fails half-way through (kitsune_xf_fail): the rollback must restore every
 * object it changed, so the second attempt sees gen 0 everywhere and commits gen 1.
 * Objects keep their addresses (where[], plain integers the update does not touch).
 * kitsune-test: outcomes=rolled_back,committed */
#include <stdint.h>

#include "scenario.h"

#define N 1000
#define OBJ_STRING 0
#define OBJ_LIST 1

struct lnode E_GENERIC(@t) {
    struct lnode E_G(@t) *next;
    void * E_T(@t) value;
};

struct list E_GENERIC(@t) {
    struct lnode E_G(@t) *head;
    void (*free_value)(void *);
    unsigned long len;
};
typedef struct list E_G(@t) list E_GENERIC(@t);

struct obj {
    void * E_OPAQUE ptr; /* a string, or a list of raw words (OBJ_LIST): the rule says */
    int type;
    int gen;   /* how many updates the object has been through */
    long id;
};

/* A dict-like table whose type is a static of the program. */
struct table_type {
    unsigned long (*hash)(long);
};

struct entry {
    struct obj *key, *val;
    struct entry *next;
};

struct table {
    struct table_type *type;
    struct entry *head;
};

static unsigned long hash_id(long id) { return (unsigned long)id * 31u; }
static void free_word(void *w) { (void)w; }

struct table_type id_type = {hash_id};
struct table *db;
uintptr_t where[2 * N];      /* each object's address, as an integer */
list E_G([opaque]) *no_list; /* NULL: puts the list types in the summary */
int attempts;                /* counted by the rules, in the old version */

static struct obj *make(long id, int type, void *ptr)
{
    struct obj *o = malloc(sizeof *o);
    *o = (struct obj){.ptr = ptr, .type = type, .id = id};
    where[id] = (uintptr_t)o;
    return o;
}

static list *make_list(long id)
{
    list *l = calloc(1, sizeof *l);
    l->free_value = free_word;
    for (long w = 1; w <= 3; w++) {
        struct lnode *n = malloc(sizeof *n);
        n->value = (void *)(uintptr_t)(id * 10 + w);
        n->next = l->head;
        l->head = n;
        l->len++;
    }
    return l;
}

static void fill(void)
{
    db = calloc(1, sizeof *db);
    db->type = &id_type;
    for (long i = 0; i < N; i++) {
        struct entry *e = malloc(sizeof *e);
        char key[16];
        snprintf(key, sizeof key, "k%ld", i);
        e->key = make(2 * i, OBJ_STRING, strdup(key));
        e->val = i % 10 == 3 ? make(2 * i + 1, OBJ_LIST, make_list(i))
                             : make(2 * i + 1, OBJ_STRING, strdup("value"));
        e->next = db->head;
        db->head = e;
    }
}

static void check(void)
{
    CHECK(db->type == &id_type && db->type->hash(2) == 62);
    long seen = 0;
    for (const struct entry *e = db->head; e; e = e->next, seen++) {
        long i = e->key->id / 2;
        char key[16];
        snprintf(key, sizeof key, "k%ld", i);
        CHECK((uintptr_t)e->key == where[2 * i] && (uintptr_t)e->val == where[2 * i + 1]);
        CHECK_STR(e->key->ptr, key);
        CHECK_INT(e->key->gen, VERSION - 1);
        CHECK_INT(e->val->gen, VERSION - 1);
        if (e->val->type != OBJ_LIST) {
            CHECK_STR(e->val->ptr, "value");
            continue;
        }
        const list *l = e->val->ptr;
        CHECK(l->free_value == free_word);
        CHECK_INT(l->len, 3);
        long w = 3;
        for (const struct lnode *n = l->head; n; n = n->next, w--)
            CHECK_INT((uintptr_t)n->value, i * 10 + w);
        CHECK_INT(w, 0);
    }
    CHECK_INT(seen, N);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating())
        fill();
    else {
        check();
        scenario_report();
    }
    scenario_loop("loop");
}

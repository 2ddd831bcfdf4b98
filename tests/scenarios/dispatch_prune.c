/* A hash of tagged objects, as redis's keyspace: each entry holds a key and a value
 * object whose ptr is a string or a pair (and, with WITH_LISTS, a list whose header
 * holds a function pointer), and the update's rule on ptr dispatches on the object's
 * type: copy a string, $xform a pair or a list.  No stored type changes.
 *   - Here the rule's branches all lead to clean plans, so xfgen's description of it
 *     lets the planner prune it: only the table (its type points to a static) is
 *     visited, not the 2 * N objects and N entries (3001 before).
 *   - dispatch_tag.c adds lists: objects stay visited, but the engine reads each
 *     object's type and leaves those whose branch changes nothing alone: the entries,
 *     the list objects and their headers are visited (1201), not every object (3101).
 * Every object keeps its address and contents.
 * kitsune-test: expect objects_visited <= 2 */
#include <stdint.h>

#include "scenario.h"

#define N 1000
#define OBJ_STRING 0
#define OBJ_PAIR 1
#define OBJ_LIST 2

struct pair {
    long a, b;
};

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
    void * E_OPAQUE ptr; /* a string, a struct pair or a list: the rule says */
    int type;
    int refcount;
};

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
list E_G([opaque]) *no_list; /* NULL: puts the list and pair types in the summary */
struct pair *no_pair;

static struct obj *make(long id, int type, void *ptr)
{
    struct obj *o = malloc(sizeof *o);
    *o = (struct obj){.ptr = ptr, .type = type, .refcount = 1};
    where[id] = (uintptr_t)o;
    return o;
}

static void *make_value(long i, int *type)
{
#ifdef WITH_LISTS
    if (i % 10 == 3) {
        list *l = calloc(1, sizeof *l);
        l->free_value = free_word;
        struct lnode *n = malloc(sizeof *n);
        *n = (struct lnode){NULL, (void *)(uintptr_t)i};
        l->head = n;
        l->len = 1;
        *type = OBJ_LIST;
        return l;
    }
#endif
    if (i % 2) {
        struct pair *p = malloc(sizeof *p);
        *p = (struct pair){i, -i};
        *type = OBJ_PAIR;
        return p;
    }
    char buf[24];
    snprintf(buf, sizeof buf, "value-%ld", i);
    *type = OBJ_STRING;
    return strdup(buf);
}

static void fill(void)
{
    db = calloc(1, sizeof *db);
    db->type = &id_type;
    for (long i = 0; i < N; i++) {
        struct entry *e = malloc(sizeof *e);
        char key[16];
        snprintf(key, sizeof key, "k%ld", i);
        int type;
        void *v = make_value(i, &type);
        e->key = make(2 * i, OBJ_STRING, strdup(key));
        e->val = make(2 * i + 1, type, v);
        e->next = db->head;
        db->head = e;
    }
}

static void check(void)
{
    CHECK(db->type == &id_type && db->type->hash(2) == 62);
    long seen = 0;
    for (const struct entry *e = db->head; e; e = e->next, seen++) {
        long i = N - 1 - seen;
        char key[16], want[24];
        snprintf(key, sizeof key, "k%ld", i);
        snprintf(want, sizeof want, "value-%ld", i);
        CHECK((uintptr_t)e->key == where[2 * i] && (uintptr_t)e->val == where[2 * i + 1]);
        CHECK_STR(e->key->ptr, key);
        CHECK_INT(e->key->type, OBJ_STRING);
        if (e->val->type == OBJ_LIST) {
            const list *l = e->val->ptr;
            CHECK(l->free_value == free_word);
            CHECK(l->len == 1 && l->head && (uintptr_t)l->head->value == (uintptr_t)i);
        } else if (e->val->type == OBJ_PAIR) {
            const struct pair *p = e->val->ptr;
            CHECK_INT(p->a, i);
            CHECK_INT(p->b, -i);
        } else {
            CHECK_STR(e->val->ptr, want);
        }
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

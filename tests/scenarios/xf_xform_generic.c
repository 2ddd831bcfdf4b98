/* `$xform` with generic closure arguments, as Kitsune's redis rules use it: an object
 * holds a `void *` to a generic list whose element type depends on the object's type.
 * The field rule (xf_xform_generic.v2.xf) follows a list of raw words with
 * $xform(typedef list, typedef list, XF_RAW(sizeof(void *))) and a list of items with
 * $xform(typedef list, typedef list, XF_PTR($xform(struct item, struct item))), and a
 * pair with one closure per parameter.
 * A generic bag passes its own parameter on: its type rule follows its list with
 * $xform(typedef list, typedef list, $gen(t)), @t being bound where the bag is used.
 * v2 reorders and widens the list header (every list is rebuilt) and gives each item a
 * new field (every item is rebuilt, also those of the bag's list); raw words are left
 * as they are, and an item shared with a global stays shared. */
#include <stdint.h>

#include "scenario.h"

#define OBJ_STRING 0
#define OBJ_WORDS 1 /* a list of raw words */
#define OBJ_ITEMS 2 /* a list of struct item pointers */
#define OBJ_PAIR 3  /* a pair: a raw word and an item */

struct item {
    int value;
#if VERSION >= 2
    int doubled;
#endif
};

struct lnode E_GENERIC(@t) {
    struct lnode E_G(@t) *next;
    void * E_T(@t) value;
};

struct list E_GENERIC(@t) {
#if VERSION == 1
    unsigned len;
    struct lnode E_G(@t) *head;
#else
    struct lnode E_G(@t) *head;
    unsigned long len;
#endif
};
typedef struct list E_G(@t) list E_GENERIC(@t);

struct obj {
    int type;
    void *ptr; /* char *, or a list whose element type depends on type */
};

/* Two parameters: $xform(struct pair, struct pair, XF_RAW(...), XF_PTR(...)). */
struct pair E_GENERIC(@k, @v) {
    void * E_T(@k) key;
    void * E_T(@v) val;
};

/* A generic container of a list: its rule passes @t on to the list. */
struct bag E_GENERIC(@t) {
    int tag;
    list E_G(@t) *items;
};

struct obj *objs[4];
struct pair E_G([opaque], [opaque]) *spare_pair; /* NULL, as spare_list */
struct bag E_G(struct item *) bag; /* a list of items of its own */
struct item *shared_item;            /* also the value of the items list's head */
list E_G([opaque]) *spare_list;      /* NULL: makes the list types part of the summary */

static void *push(list *l, void *value)
{
    struct lnode *n = malloc(sizeof *n);
    n->value = value;
    n->next = l->head;
    l->head = n;
    l->len++;
    return value;
}

static struct obj *make(int type, void *ptr)
{
    struct obj *o = malloc(sizeof *o);
    o->type = type;
    o->ptr = ptr;
    return o;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        list *words = calloc(1, sizeof *words), *items = calloc(1, sizeof *items);
        for (uintptr_t w = 1; w <= 3; w++)
            push(words, (void *)(w * 1000));
        for (int i = 1; i <= 3; i++) {
            struct item *it = malloc(sizeof *it);
            it->value = i;
            shared_item = push(items, it);
        }
        objs[0] = make(OBJ_STRING, strdup("hello"));
        objs[1] = make(OBJ_WORDS, words);
        objs[2] = make(OBJ_ITEMS, items);
        struct pair *pr = malloc(sizeof *pr);
        struct item *pit = malloc(sizeof *pit);
        pit->value = 5;
        *pr = (struct pair){(void *)(uintptr_t)77, pit};
        objs[3] = make(OBJ_PAIR, pr);
        bag.tag = 7;
        bag.items = calloc(1, sizeof *bag.items);
        for (int i = 1; i <= 2; i++) {
            struct item *it = malloc(sizeof *it);
            it->value = 10 * i;
            push(bag.items, it);
        }
    } else {
#if VERSION == 2
        CHECK_STR(objs[0]->ptr, "hello");
        const list *words = objs[1]->ptr, *items = objs[2]->ptr;
        CHECK_INT(words->len, 3);
        uintptr_t w = 3;
        for (const struct lnode *n = words->head; n; n = n->next, w--)
            CHECK_INT((uintptr_t)n->value, w * 1000);
        CHECK_INT(w, 0);
        CHECK_INT(items->len, 3);
        int i = 3;
        for (const struct lnode *n = items->head; n; n = n->next, i--) {
            const struct item *it = n->value;
            CHECK_INT(it->value, i);
            CHECK_INT(it->doubled, 2 * i);
        }
        CHECK_INT(i, 0);
        CHECK(items->head && items->head->value == shared_item);
        const struct pair *pr = objs[3]->ptr;
        const struct item *pit = pr->val;
        CHECK_INT((uintptr_t)pr->key, 77);
        CHECK_INT(pit->value, 5);
        CHECK_INT(pit->doubled, 10);
        CHECK_INT(bag.tag, 107);
        CHECK_INT(bag.items->len, 2);
        i = 2;
        for (const struct lnode *n = bag.items->head; n; n = n->next, i--) {
            const struct item *it = n->value;
            CHECK_INT(it->value, 10 * i);
            CHECK_INT(it->doubled, 20 * i);
        }
        CHECK_INT(i, 0);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}

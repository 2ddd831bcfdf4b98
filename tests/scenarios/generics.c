/* Generic types (E_GENERIC / E_T / E_G), in the shape of Kitsune's ktcc-generics test:
 * a list with three parameters (@a: what data points to, @b: what the key slot is,
 * @c: what extra points to), instantiated per binding:
 *   - list<struct conn, struct conn *, [opaque]>: data and key lead to rebuilt conns
 *     (one conn shared by both), extra is never followed;
 *   - list<int, int, list<struct conn, int, int>>: a nested binding;
 *   - tlist<struct conn>, a generic typedef for list<@t, int, [opaque]>;
 *   - a self-cycle (l->next == l) and sharing preserved;
 *   - box<@x>, a generic struct that itself changes layout;
 *   - a generic typedef of a pointer (Kitsune's ktcc-gener-tdef bug), NULL and not. */
#include <stdint.h>

#include "scenario.h"

struct conn {
#if VERSION == 1
    int fd;
    char name[8];
#else
    char name[8];
    long fd;
#endif
};

struct list E_GENERIC(@a, @b, @c) {
    void E_T(@a) *data;
    void * E_T(@b) key;
    void E_T(@c) *extra;
    struct list E_G(@a, @b, @c) *next;
};

typedef struct list E_G(@t, int, [opaque]) tlist E_GENERIC(@t);
typedef struct list E_G(@t, int, [opaque]) *tlistp E_GENERIC(@t);

struct box E_GENERIC(@x) {
#if VERSION == 1
    int n;
#else
    long n;
#endif
    void E_T(@x) *item;
};

struct list E_G(struct conn, struct conn *, [opaque]) *conns;
struct list E_G(int, int, struct list<struct conn, int, int>) *nested;
tlist E_G(struct conn) *tl;
tlistp E_G(struct conn) tp_null;
tlistp E_G(struct conn) tp;
struct box E_G(struct conn) boxed;
struct box E_G(struct box<struct conn>) *box_of_box;
uintptr_t blob_addr;
/* A plain pointer to an object that is also a list item. */
struct conn *last_conn;

static struct conn *new_conn(int fd, const char *name)
{
    struct conn *c = malloc(sizeof *c);
    c->fd = fd;
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

static void check_conn(const struct conn *c, int fd, const char *name)
{
    CHECK_INT(c->fd, fd);
    CHECK_STR(c->name, name);
}

static void setup(void)
{
    char *blob = malloc(32);
    strcpy(blob, "opaque blob");
    blob_addr = (uintptr_t)blob;
    for (int i = 2; i >= 0; i--) {
        struct list *l = malloc(sizeof *l);
        char name[8];
        snprintf(name, sizeof name, "c%d", i);
        l->data = new_conn(10 + i, name);
        l->key = i == 0 ? l->data : new_conn(20 + i, "key");
        l->extra = blob;
        l->next = conns;
        conns = l;
    }
    struct list *inner = malloc(sizeof *inner);
    inner->data = new_conn(30, "inner");
    inner->key = (void *)(intptr_t)-7;
    inner->extra = NULL;
    inner->next = inner; /* self-cycle */
    nested = malloc(sizeof *nested);
    int *num = malloc(sizeof *num);
    *num = 42;
    nested->data = num;
    nested->key = (void *)(intptr_t)99;
    nested->extra = inner;
    nested->next = nested;
    tl = malloc(sizeof *tl);
    tl->data = new_conn(40, "tl");
    tl->key = (void *)(intptr_t)5;
    tl->extra = blob;
    tl->next = NULL;
    tp_null = NULL;
    tp = malloc(sizeof *tp);
    tp->data = new_conn(41, "tp");
    tp->key = NULL;
    tp->extra = NULL;
    tp->next = tl;
    boxed.n = -3;
    boxed.item = conns->data; /* shared with the list */
    box_of_box = malloc(sizeof *box_of_box);
    box_of_box->n = 8;
    struct box *b = malloc(sizeof *b);
    b->n = 9;
    b->item = new_conn(50, "deep");
    box_of_box->item = b;
    last_conn = b->item;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        setup();
    } else {
        int i = 0;
        for (struct list *l = conns; l; l = l->next, i++) {
            char name[8];
            snprintf(name, sizeof name, "c%d", i);
            check_conn(l->data, 10 + i, name);
            if (i == 0)
                CHECK(l->key == l->data);
            else
                check_conn(l->key, 20 + i, "key");
            CHECK((uintptr_t)l->extra == blob_addr);
        }
        CHECK_INT(i, 3);
        CHECK_STR((char *)conns->extra, "opaque blob");
        CHECK_INT(*(int *)nested->data, 42);
        CHECK_INT((intptr_t)nested->key, 99);
        CHECK(nested->next == nested);
        struct list *inner = nested->extra;
        check_conn(inner->data, 30, "inner");
        CHECK_INT((intptr_t)inner->key, -7);
        CHECK(inner->next == inner);
        check_conn(tl->data, 40, "tl");
        CHECK_INT((intptr_t)tl->key, 5);
        CHECK((uintptr_t)tl->extra == blob_addr);
        CHECK(tp_null == NULL);
        check_conn(tp->data, 41, "tp");
        CHECK(tp->next == tl);
        CHECK_INT(boxed.n, -3);
        CHECK(boxed.item == conns->data);
        CHECK_INT(box_of_box->n, 8);
        struct box *b = box_of_box->item;
        CHECK_INT(b->n, 9);
        check_conn(b->item, 50, "deep");
        CHECK(last_conn == b->item);
        scenario_report();
    }
    scenario_loop("loop");
}

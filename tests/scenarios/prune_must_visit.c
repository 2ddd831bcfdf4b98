/* Pruning must not skip what needs fixing, even though these node types did not
 * change: nodes that hold a function pointer, nodes that point into static data (a
 * global and an element of a global array), and nodes that point to objects whose
 * type changed.  Every such slot is rewritten in place (1000 of each).
 * kitsune-test: expect objects_transformed = 1000
 * kitsune-test: expect pointers_fixed = 4000 */
#include "scenario.h"

#define N 1000

struct cb_node {
    int v;
    int (*cb)(int);
    struct cb_node *next;
};

struct static_node {
    int *hits;
    long *slot;
    struct static_node *next;
};

struct changed {
#if VERSION == 1
    int x;
#else
    long x;
#endif
};

struct ref_node {
    struct changed *c;
    struct ref_node *next;
};

static int handler(int x) { return x + VERSION * 100; }

int hits;
long slots[N];
struct cb_node *cbs;
struct static_node *statics;
struct ref_node *refs;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < N; i++) {
            struct cb_node *a = malloc(sizeof *a);
            *a = (struct cb_node){i, handler, cbs};
            cbs = a;
            struct static_node *b = malloc(sizeof *b);
            *b = (struct static_node){&hits, &slots[i], statics};
            statics = b;
            struct ref_node *c = malloc(sizeof *c);
            c->c = malloc(sizeof *c->c);
            c->c->x = -i;
            c->next = refs;
            refs = c;
            slots[i] = i;
        }
        hits = 3;
    } else {
        int i = N - 1;
        for (struct cb_node *a = cbs; a; a = a->next, i--) {
            CHECK_INT(a->v, i);
            CHECK(a->cb == handler);
        }
        CHECK_INT(i, -1);
        i = N - 1;
        for (struct static_node *b = statics; b; b = b->next, i--) {
            CHECK(b->hits == &hits);
            CHECK(b->slot == &slots[i]);
        }
        CHECK_INT(i, -1);
        i = N - 1;
        for (struct ref_node *c = refs; c; c = c->next, i--)
            CHECK_INT(c->c->x, -i);
        CHECK_INT(i, -1);
        CHECK_INT(*statics->hits, 3);
        CHECK_INT(cbs->cb(1), 201);
        scenario_report();
    }
    scenario_loop("loop");
}

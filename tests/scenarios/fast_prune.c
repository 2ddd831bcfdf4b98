/* The forwarding engine must not skip what needs fixing among objects whose type did
 * not change: nodes holding a function pointer, nodes pointing into static data (a
 * global struct and an element of a global array), nodes pointing to objects whose
 * type changed (long enough to hold a forwarding word), and a heap array of pointers
 * (E_PTRARRAY) to such objects.  Every such slot is rewritten in place, once.
 * kitsune-test: expect objects_transformed = 1000
 * kitsune-test: expect pointers_fixed = 5000 */
#include "scenario.h"

#define N 1000

struct stats {
    long hits;
};

struct slot {
    long v;
};

struct cb_node {
    int v;
    int (*cb)(int);
    struct cb_node *next;
};

struct static_node {
    struct stats *st;
    struct slot *slot;
    struct static_node *next;
};

struct changed {
    long id;
#if VERSION == 1
    int x;
#else
    long x; /* widened */
#endif
};

struct ref_node {
    struct changed *c;
    struct ref_node *next;
};

struct table {
    struct changed **all E_PTRARRAY(self.n);
    long n;
};

static int handler(int x) { return x + VERSION * 100; }

struct stats stats;
struct slot slots[N];
struct cb_node *cbs;
struct static_node *statics;
struct ref_node *refs;
struct table table;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        table.n = N;
        table.all = malloc(N * sizeof *table.all);
        for (int i = 0; i < N; i++) {
            struct cb_node *a = malloc(sizeof *a);
            *a = (struct cb_node){i, handler, cbs};
            cbs = a;
            struct static_node *b = malloc(sizeof *b);
            *b = (struct static_node){&stats, &slots[i], statics};
            statics = b;
            struct ref_node *c = malloc(sizeof *c);
            c->c = malloc(sizeof *c->c);
            c->c->id = i;
            c->c->x = -i;
            c->next = refs;
            refs = c;
            table.all[i] = c->c;
            slots[i].v = i;
        }
        stats.hits = 3;
    } else {
        int i = N - 1;
        for (struct cb_node *a = cbs; a; a = a->next, i--) {
            CHECK_INT(a->v, i);
            CHECK(a->cb == handler);
        }
        CHECK_INT(i, -1);
        i = N - 1;
        for (struct static_node *b = statics; b; b = b->next, i--) {
            CHECK(b->st == &stats);
            CHECK(b->slot == &slots[i]);
        }
        CHECK_INT(i, -1);
        i = N - 1;
        for (struct ref_node *c = refs; c; c = c->next, i--) {
            CHECK_INT(c->c->x, -i);
            CHECK_INT(c->c->id, i);
            CHECK(table.all[i] == c->c); /* one new object, shared */
        }
        CHECK_INT(i, -1);
        CHECK_INT(stats.hits, 3);
        CHECK_INT(cbs->cb(1), 201);
        scenario_report();
    }
    scenario_loop("loop");
}

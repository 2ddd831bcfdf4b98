/* Arrays reached through pointers declared as pointers to one element, with no
 * annotation: kitc reads their lengths from the allocations (infer.c) - a constant
 * (recs = malloc(NRECS * sizeof *recs)), a field of the same object (t.items =
 * calloc(t.n, ...)), a constant count of pointers (slots = calloc(NSLOTS, ...)) - and
 * version 2, which widens struct rec, commits with every element transformed.  Without
 * the inference only the first element would be (here: refused by own_block.c, or the
 * other slots' records left in the old layout).
 * kitsune-test: outcomes=committed */
#include "scenario.h"

struct rec {
    int id;
#if VERSION == 1
    int weight;
#else
    long weight;
#endif
};

struct table {
    int n;
    struct rec *items;
};

enum { NRECS = 16, NSLOTS = 5 };

static struct rec *recs;
static struct table t;
static struct rec **slots;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        recs = malloc(NRECS * sizeof *recs);
        for (int i = 0; i < NRECS; i++)
            recs[i] = (struct rec){i, 10 * i};
        t.n = 12;
        t.items = calloc(t.n, sizeof *t.items);
        for (int i = 0; i < t.n; i++)
            t.items[i] = (struct rec){i, 100 + i};
        slots = calloc(NSLOTS, sizeof *slots);
        for (int i = 0; i < NSLOTS; i++) {
            slots[i] = malloc(sizeof *slots[i]);
            *slots[i] = (struct rec){i, 1000 + i};
        }
    } else {
        for (int i = 0; i < NRECS; i++)
            CHECK_INT(recs[i].weight, 10 * i);
        for (int i = 0; i < t.n; i++)
            CHECK_INT(t.items[i].weight, 100 + i);
        for (int i = 0; i < NSLOTS; i++)
            CHECK_INT(slots[i]->weight, 1000 + i);
        scenario_report();
    }
    scenario_loop("loop");
}

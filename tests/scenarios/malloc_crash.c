/* A transformer that corrupts the heap while the state is transferred
 * (tests/lib/run_alloc_crash.sh): version 2's rule for struct item.extra, on item 3,
 * overwrites the size field of the chunk after a block of its own and frees the
 * block, so glibc aborts inside free with its arena's lock held (the rule's code is in
 * malloc_crash.v2.xf).  The process cannot allocate again: the update must end it
 * with the report, not hang.  Version 1 prints "ready"; a version 2 that got through
 * would print PASS. */
#include "scenario.h"

struct item {
    long id;
    struct item *next;
#if VERSION == 2
    int extra;
#endif
};

struct item *items;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (long i = 5; i > 0; i--) {
            struct item *it = malloc(sizeof *it);
            it->id = i;
            it->next = items;
            items = it;
        }
    } else {
        long k = 1;
        for (struct item *it = items; it; it = it->next, k++)
            CHECK_INT(it->id, k);
        scenario_report();
    }
    scenario_loop("loop");
}

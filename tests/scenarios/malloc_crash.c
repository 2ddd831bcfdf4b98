/* A transformer that corrupts the heap while the state is transferred
 * (tests/lib/run_alloc_crash.sh): version 2's rule for struct item.extra, on item 3,
 * overwrites the size field of the chunk after a block of its own and frees the
 * block, so glibc aborts inside free with its arena's lock held (the rule's code is in
 * malloc_crash.v2.xf).  The process cannot allocate again: the update must end it
 * with the report, not hang.  Version 1 prints "ready"; a version 2 that got through
 * would print PASS.
 * With MALLOC_CRASH=cleanup the rule does nothing, and version 2's main instead
 * overwrites the size field of the first transformed item (a block the rollback will
 * free) and then frees a pointer into a block of its own: glibc aborts before taking
 * any lock, the allocator is found usable, and the rollback's own free of that item
 * aborts in turn - which must end the process with the report too.
 * With MALLOC_CRASH=helper (the forwarding engine with two threads) the rule corrupts
 * the heap on a helper thread only, in that thread's own arena, and the main thread's
 * rule waits a little on each item until then, so that the helper gets work: the
 * helper must not exit (its exit would free its cache through the locked arena), and
 * the rollback must find the lock held and end the process with the report. */
#include <stdint.h>

#include "scenario.h"

struct item {
    long id;
    struct item *next;
#if VERSION == 2
    int extra;
#endif
};

struct item *items;
struct item *spread[4096]; /* an array of pointers: shared between transfer threads */

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
        for (long i = 0; i < 4096; i++) {
            spread[i] = calloc(1, sizeof *spread[i]);
            spread[i]->id = 1000 + i;
        }
    } else {
        const char *kind = getenv("MALLOC_CRASH");
        if (kind && strcmp(kind, "cleanup") == 0) {
            ((size_t *)items)[-1] = 0; /* the chunk's size field */
            char *volatile p = malloc(4000), *volatile inside = p + 8;
            memset(p, 0, 16);
            free(inside);
        }
        long k = 1;
        for (struct item *it = items; it; it = it->next, k++)
            CHECK_INT(it->id, k);
        scenario_report();
    }
    scenario_loop("loop");
}

/* A file static moved from one source file to another (xf_static_moved_b.c/hits ->
 * xf_static_moved.c/hits) and a function static lifted to a global
 * (xf_static_moved.c/next_id#calls -> calls); a pointer to the moved static follows. */
#include "scenario.h"

#if VERSION == 1
int *hits_addr(void); /* xf_static_moved_b.c */
#else
static int hits;      /* moved here from xf_static_moved_b.c */
int calls;            /* was next_id's static */
#endif
void bump(void);
int *hits_ptr;

static int next_id(void)
{
#if VERSION == 1
    static int calls;
#endif
    return ++calls;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
#if VERSION == 1
        hits_ptr = hits_addr();
#endif
        bump();
        bump();
        next_id();
        next_id();
        next_id();
    } else {
#if VERSION == 2
        CHECK_INT(hits, 2);
        CHECK(hits_ptr == &hits);
        CHECK_INT(calls, 3);
        CHECK_INT(next_id(), 4);
        bump();
        CHECK_INT(hits, 3);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}

#if VERSION == 2
void bump(void)
{
    hits++;
}
#endif

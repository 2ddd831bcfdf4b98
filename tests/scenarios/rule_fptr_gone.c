/* A field rule remaps a function pointer held in a union (XF_FPTR) to a function the
 * new version no longer has: the update is rolled back, naming the function, on
 * either engine.  The forwarding engine used to translate the closure's function
 * pointer with the general engine's helper, whose failure it never read: the update
 * committed with the pointer still into the retired code.
 * kitsune-test: outcomes=rolled_back reason=function pointer to rule_fptr_gone.c/handler, which the new version does not have */
#include "scenario.h"

union payload {
    int (*fn)(int);
    long num;
};

struct event {
    int kind; /* 1: fn, 2: num */
    union payload u;
};

struct event events[2];

#if VERSION == 1
static int handler(int x) { return x + 1; }
#else
static int other(int x) { return x + 2; } /* handler is gone, no rule renames it */
#endif

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
#if VERSION == 1
        events[0] = (struct event){.kind = 1, .u.fn = handler};
#endif
        events[1] = (struct event){.kind = 2, .u.num = 7};
    } else {
#if VERSION == 2
        CHECK(events[0].u.fn == other); /* not reached: the update rolls back */
#endif
        scenario_report();
    }
    scenario_loop("loop");
}

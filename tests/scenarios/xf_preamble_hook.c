/* The preamble of the rules file: a helper used by a rule, and the hook
 * _kitsune_mainupdate_xform, which runs when the new main thread reaches the update
 * point the old one left from; it finds the program's state by key. */
#include "scenario.h"

long budget;
int hook_calls;
#if VERSION >= 2
static int reported; /* new in v2: keeps its initialiser */
#endif

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        budget = 1000;
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
#if VERSION >= 2
        if (kitsune_has_updated() && !reported) {
            reported = 1;
            CHECK_INT(budget, 1500);    /* the rule used the preamble's helper */
            CHECK_INT(hook_calls, 1);   /* the hook ran once, before this point */
            scenario_report();
        }
#endif
        usleep(1000);
    }
}

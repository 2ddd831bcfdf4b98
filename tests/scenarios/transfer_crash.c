/* A fault while the state is transferred rolls the update back with a reason that
 * names the faulting address and what the transfer was working on.  Version 2's rules
 * fault on purpose: on the first attempt the rule of variable `broken` reads address
 * 0x28; on the second the rule of struct item.extra reads 0x38 for item 3; the third
 * attempt commits (and finds the old state intact).
 * kitsune-test: outcomes=rolled_back,rolled_back,committed
 * kitsune-test: reason=segmentation fault (SIGSEGV) at address 0x28 in ... (version 1) while transferring the state (variable broken)
 * kitsune-test: reason=segmentation fault (SIGSEGV) at address 0x38 in ... (version 1) while transferring the state (an object of struct item, first reached as */
#include "scenario.h"

struct item {
    long id;
    struct item *next;
#if VERSION == 2
    int extra;
#endif
};

struct item *items;
int broken = 5;
int attempts; /* counted by the rules, in the old version */

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
        CHECK_INT(broken, 5);
        long k = 1;
        for (struct item *it = items; it; it = it->next, k++) {
            CHECK_INT(it->id, k);
#if VERSION == 2
            CHECK_INT(it->extra, 7);
#endif
        }
        CHECK_INT(k, 6);
        scenario_report();
    }
    scenario_loop("loop");
}

/* Refusals before harm: the harness (tests/lib/run_refusals.sh) asks for updates to a
 * missing file, a file that is not a kitsune program, a version whose symbols do not
 * resolve (VERSION 3), a file others can write, another user's file, and as another
 * user; each is refused while the program keeps running.  Then a real update (VERSION
 * 2) finds the state intact. */
#include "scenario.h"

long ticks;
char state[32];

#if VERSION == 3
int kitsune_test_missing_symbol(void);
#endif

int main(void)
{
    kitsune_do_automigrate();
#if VERSION == 3
    ticks += kitsune_test_missing_symbol();
#endif
    if (!kitsune_is_updating()) {
        strcpy(state, "intact");
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK_STR(state, "intact");
        CHECK(ticks > 0);
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        if (++ticks % 100 == 0) {
            printf("tick %ld\n", ticks);
            fflush(stdout);
        }
        usleep(1000);
    }
}

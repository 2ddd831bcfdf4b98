/* A new main that returns before reaching the update point the old one left from,
 * as Kitsune's prestartxform and shallow tests do (they expect the program to end in
 * the new version).  Here it is rolled back, whatever it returns: the old version goes
 * on from its update point with its state as it was, and a later version that reaches
 * the point commits.  Version 2 returns 0, version 3 returns 3, version 4 commits.
 * kitsune-test: outcomes=rolled_back,rolled_back,committed
 * kitsune-test: reason=the new main returned 0 before reaching update point 'loop'
 * kitsune-test: reason=the new main returned 3 before reaching update point 'loop' */
#include "scenario.h"

int ticks;

int main(void)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK(ticks > 0);
        if (VERSION == 2)
            return 0; /* "finished": Kitsune would exit here */
        if (VERSION == 3)
            return 3;
    } else {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        if (VERSION == 4 && ticks >= 0) {
            scenario_report();
            ticks = -1000000;
        }
        ticks++;
        usleep(1000);
    }
}

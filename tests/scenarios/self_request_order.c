/* Kitsune's order for a program that updates itself: kitsune_signal_update() first,
 * kitsune_set_next_version() after it, then a single update point.  The request is
 * taken at that update point, with the path set by then: not earlier (the running file
 * would be loaded) and not later (the only update point would already be passed).
 * kitsune-test: self */
#include "scenario.h"

int main(void)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        volatile int version = VERSION; /* read at run time: the check stays */
        CHECK(version == 2);            /* the file named by the path, not the running one */
        kitsune_update("once");
        scenario_report();
        for (;;)
            usleep(10000);
    }
    printf("ready\n");
    fflush(stdout);
    kitsune_signal_update();
    usleep(20000); /* the runtime's threads run meanwhile */
    kitsune_set_next_version(getenv("KITSUNE_TEST_NEXT"));
    kitsune_update("once");
    printf("FAIL: the only update point was passed before the request was taken\n");
    fflush(stdout);
    for (;;)
        usleep(10000);
}

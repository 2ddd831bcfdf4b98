/* The driver-less API path: the program asks for its own update with
 * kitsune_set_next_version() and kitsune_signal_update().
 * kitsune-test: self */
#include "scenario.h"

int ticks;

int main(void)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK(ticks >= 20);
        CHECK(kitsune_has_updated() == 0); /* not yet: the update commits below */
        scenario_report();
    } else {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        if (VERSION == 1 && ++ticks == 20) {
            kitsune_set_next_version(getenv("KITSUNE_TEST_NEXT"));
            kitsune_signal_update();
        }
        usleep(1000);
    }
}

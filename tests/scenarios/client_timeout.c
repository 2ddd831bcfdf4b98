/* Driven by tests/lib/run_client_timeout.sh.  Version 2 hangs before its update point
 * (it passes none at all), so only the watchdog's limit ends the freeze; version 3 is a
 * good update that checks the state survived the failed and the cancelled attempt. */
#include "scenario.h"

long rounds;

int main(void)
{
    kitsune_do_automigrate();
#if VERSION == 2
    if (kitsune_is_updating())
        for (;;)
            pause(); /* a new version stuck in its initialisation */
#endif
    if (!kitsune_is_updating()) {
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK(rounds > 0);
        CHECK_INT(kitsune_version_number(), 1);
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        rounds++;
        usleep(1000);
    }
}

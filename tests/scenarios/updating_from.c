/* kitsune_is_updating_from() steers the new version back into the loop the old one
 * left from: here the second of two loops. */
#include "scenario.h"

int phase;

static void serve(void)
{
    if (!kitsune_is_updating()) {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("serve");
        phase = 2;
        usleep(1000);
    }
}

int main(void)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating_from("serve")) {
        CHECK_INT(phase, 2);
        CHECK(!kitsune_is_updating_from("warmup"));
        scenario_report();
        serve();
    }
    CHECK(!kitsune_is_updating());
    for (int i = 0; i < 5; i++) {
        kitsune_update("warmup");
        phase = 1;
    }
    serve();
}

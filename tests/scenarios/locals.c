/* Locals noted in the old version (NOTE_LOCAL) migrate with MIGRATE_LOCAL. */
#include "scenario.h"

int main(void)
{
    int requests = 0;
    char label[8] = "none";
    double load = 0;
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK(MIGRATE_LOCAL(requests));
        CHECK(MIGRATE_LOCAL(label));
        CHECK(MIGRATE_LOCAL(load));
        CHECK(requests >= 10);
        CHECK_STR(label, "busy");
        CHECK(load == 1.5);
        scenario_report();
    }
    NOTE_LOCAL(requests);
    NOTE_LOCAL(label);
    NOTE_LOCAL(load);
    for (;;) {
        kitsune_update("loop");
        if (requests < 10 && ++requests == 10) {
            strcpy(label, "busy");
            load = 1.5;
            printf("ready\n"); /* only the first version gets here */
            fflush(stdout);
        }
        usleep(1000);
    }
}

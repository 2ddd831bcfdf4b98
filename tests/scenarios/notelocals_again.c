/* Locals of an E_NOTELOCALS function across several updates: the first attempt is
 * rolled back after the locals were migrated (the old frame goes on with its own
 * values, and is read again by the next attempt), then the update commits, then the
 * new version updates from itself, its frame on the stack the runtime gave it.
 * kitsune-test: outcomes=rolled_back,committed,committed
 * kitsune-test: faults=commit */
#include "scenario.h"

__attribute__((noinline)) static void serve(void) E_NOTELOCALS
{
    int served = 0;
    long updates = 0;
    char name[8] = "none";
    if (kitsune_is_updating()) {
        CHECK(MIGRATE_LOCAL(served));
        CHECK(MIGRATE_LOCAL(updates));
        CHECK(MIGRATE_LOCAL(name));
        updates++;
        CHECK_INT(served, 10);
        CHECK_INT(updates, kitsune_version_number());
        CHECK_STR(name, "busy");
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        if (served < 10 && ++served == 10) {
            strcpy(name, "busy");
            printf("ready\n");
            fflush(stdout);
        }
        usleep(1000);
    }
}

int main(void)
{
    kitsune_do_automigrate();
    serve();
}

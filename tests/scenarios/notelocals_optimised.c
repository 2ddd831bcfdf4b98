/* A noted local the compiler optimised out at the update point (built at -O2: `mode`
 * only ever holds a constant, so the compiler keeps it nowhere) cannot be read, and the
 * new version migrates it: the update is refused, naming it, and the old version goes
 * on; never a silent loss of its value.
 * kitsune-test: outcomes=refused
 * kitsune-test: reason=local serve#mode is optimised out where serve is stopped */
#include "scenario.h"

__attribute__((noinline)) static void serve(void) E_NOTELOCALS
{
    int mode = 0;
    int served = 0;
#if VERSION == 2
    if (kitsune_is_updating()) {
        CHECK(MIGRATE_LOCAL(mode));
        CHECK(MIGRATE_LOCAL(served));
        scenario_report();
    }
#endif
    for (;;) {
        kitsune_update("loop");
        if (served < 10 && ++served == 10) {
            mode = 2;
            printf("ready\n");
            fflush(stdout);
        }
        if (mode > 5)
            printf("never\n");
        usleep(1000);
    }
}

int main(void)
{
    kitsune_do_automigrate();
    serve();
}

/* A version built without unwind tables: the runtime cannot walk the main thread's
 * frames past the program's first one, so it cannot tell whether the noted local is
 * further up.  The update needs it: refused, never a silent loss.
 * kitsune-test: outcomes=refused
 * kitsune-test: reason=local serve#served: the main thread's frames could not be walked past */
#include "scenario.h"

__attribute__((noinline)) static void serve(void) E_NOTELOCALS
{
    int served = 0;
#if VERSION == 2
    if (kitsune_is_updating()) {
        CHECK(MIGRATE_LOCAL(served));
        scenario_report();
    }
#endif
    for (;;) {
        kitsune_update("loop");
        if (served < 10 && ++served == 10) {
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

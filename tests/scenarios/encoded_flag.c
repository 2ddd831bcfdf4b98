/* A static that only ever holds 0 or 7, which clang -O2 keeps as a one-byte flag whose
 * DWARF location computes the value: kitc lists it as that byte with a hash of the
 * computation, and the update carries it over (the planner pairs it only with the same
 * encoding: tests/engine/test_plan.c).  It used to be left out, so the new version
 * found it 0.  Built with gcc and clang at -O0 and -O2 (run_cc_matrix.sh). */
#include "scenario.h"

static int initialised;

static void init(void)
{
    initialised = 7;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        init();
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK_INT(initialised, 7);
        scenario_report();
    }
    scenario_loop("loop");
}

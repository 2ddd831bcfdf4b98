/* A new version whose main returns before reaching the update point is rolled back:
 * the old version goes on with its state, and a later good update still works.
 * kitsune-test: outcomes=rolled_back,committed */
#include "scenario.h"

int counter;
int *heap_cell;

int main(void)
{
    kitsune_do_automigrate();
#if VERSION == 2
    /* Simulates a version that fails during its initialisation. */
    if (kitsune_is_updating())
        return 3;
#endif
    if (!kitsune_is_updating()) {
        heap_cell = malloc(sizeof *heap_cell);
        *heap_cell = 1234;
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK(counter > 0);
        CHECK_INT(*heap_cell, 1234);
        CHECK_INT(kitsune_version_number(), 1); /* the failed attempt left no trace */
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        counter++;
        usleep(1000);
    }
}

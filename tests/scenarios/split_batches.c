/* An interior object migrated in an earlier batch than its container: v2 migrates a
 * pointer to the 5th element of a heap array with MIGRATE_GLOBAL before
 * kitsune_do_automigrate() reaches the array.  Rebuilding the element on its own would
 * move it out of the array (it is not a heap allocation of its own), so the update is
 * rolled back (not split into two copies) and v1 runs on unchanged.  v3 migrates
 * everything in one batch and commits with sharing intact.
 * kitsune-test: outcomes=rolled_back,committed
 * kitsune-test: reason=struct elem is rebuilt by this update (8 to 16 bytes), and its object at ... is not a heap allocation of its own */
#include "scenario.h"

struct elem {
#if VERSION == 1
    int v;
#else
    long v;
#endif
    int w;
};

struct arr {
    int n;
    struct elem *items E_PTRARRAY(self.n);
};

struct elem *fifth;
struct arr array;

int main(void)
{
#if VERSION == 2
    MIGRATE_GLOBAL(fifth);
#endif
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        array.n = 10;
        array.items = malloc(10 * sizeof *array.items);
        for (int i = 0; i < 10; i++)
            array.items[i] = (struct elem){.v = -i, .w = i};
        fifth = &array.items[4];
    } else {
        CHECK(fifth == &array.items[4]);
        for (int i = 0; i < 10; i++) {
            CHECK_INT(array.items[i].v, -i);
            CHECK_INT(array.items[i].w, i);
        }
        scenario_report();
    }
    scenario_loop("loop");
}

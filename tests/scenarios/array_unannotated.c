/* A pointer to an array of 4 records, declared as a pointer to one (no E_PTRARRAY).
 * While struct rec keeps its layout nothing needs following.  Version 2 widens a field:
 * rebuilding the first record alone into an allocation of its own would leave the
 * other three in the old layout (and free the block under them), so the update is
 * refused (rolled back) naming the type and E_PTRARRAY; the program goes on.
 * kitsune-test: outcomes=rolled_back
 * kitsune-test: reason=struct rec is rebuilt by this update (8 to 16 bytes), and its object at ... begins a heap block of ... room for more than one ... E_PTRARRAY(n) for an array */
#include "scenario.h"

struct rec {
    int id;
#if VERSION == 1
    int weight;
#else
    long weight;
#endif
};

static struct rec *recs; /* 4 of them */

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        recs = malloc(4 * sizeof *recs);
        for (int i = 0; i < 4; i++)
            recs[i] = (struct rec){i, 10 * i};
    } else {
        for (int i = 0; i < 4; i++)
            CHECK_INT(recs[i].weight, 10 * i);
        scenario_report();
    }
    scenario_loop("loop");
}

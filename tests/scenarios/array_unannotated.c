/* A pointer to an array of 8 records, declared as a pointer to one (no E_PTRARRAY).
 * While struct rec keeps its layout nothing needs following.  Version 2 widens a field:
 * rebuilding the first record alone into an allocation of its own would leave the
 * other seven in the old layout (and free the block under them), so the update is
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

/* 8 of them: 4 (32 bytes, a block of 40) lie within malloc's slack for one 8-byte
 * record (own_block.c): they passed for one object (committed) unless malloc handed
 * out a larger chunk, which depended on the heap before (failed at a009ed8 here) */
static struct rec *recs;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        recs = malloc(8 * sizeof *recs);
        for (int i = 0; i < 8; i++)
            recs[i] = (struct rec){i, 10 * i};
    } else {
        for (int i = 0; i < 8; i++)
            CHECK_INT(recs[i].weight, 10 * i);
        scenario_report();
    }
    scenario_loop("loop");
}

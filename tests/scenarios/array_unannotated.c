/* A pointer to an array of 16 records, declared as a pointer to one (no E_PTRARRAY),
 * allocated with a count kitc cannot read (a local: no E_PTRARRAY is inferred).  While
 * struct rec keeps its layout nothing needs following.  Version 2 widens a field:
 * rebuilding the first record alone into an allocation of its own would leave the
 * other fifteen in the old layout (and free the block under them), so the update is
 * refused (rolled back) naming the type and E_PTRARRAY; the program goes on.  (Sixteen:
 * a block's size tells several objects from one only where they need more than glibc
 * may hand out for one, own_block.c; 4 records of 8 bytes fit in the 40 bytes a single
 * one may get.)
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

static struct rec *recs; /* NRECS of them */
enum { NRECS = 16 };

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        size_t n = NRECS;
        recs = malloc(n * sizeof *recs);
        for (int i = 0; i < NRECS; i++)
            recs[i] = (struct rec){i, 10 * i};
    } else {
        for (int i = 0; i < NRECS; i++)
            CHECK_INT(recs[i].weight, 10 * i);
        scenario_report();
    }
    scenario_loop("loop");
}

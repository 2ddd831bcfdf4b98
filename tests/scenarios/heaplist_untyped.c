/* A heap list declared without E_G (its elements' type unnamed) whose elements are
 * also reached through typed pointers: version 2 widens a field, so the items are
 * rebuilt through `all`, and the list, which kitsune does not follow, must still lead
 * to the new items (before, it kept the old addresses, freed at the commit). */
#include "scenario.h"

struct item {
    int id;
#if VERSION == 1
    int count;
#else
    long count;
#endif
};

kitsune_heaplist items;
struct item *all[4];

int main(void)
{
    kitsune_do_automigrate();
    kitsune_heaplist_iterator *it;
    struct item *i;
    if (!kitsune_is_updating()) {
        kitsune_heaplist_init(&items);
        for (int k = 0; k < 4; k++) {
            all[k] = calloc(1, sizeof *all[k]);
            all[k]->id = k;
            all[k]->count = 1000 + k;
            NOTE_HEAP(&items, all[k]);
        }
    } else {
        int n = 0;
        HEAPLIST_FOR_EACH(&items, i, struct item *, it) {
            CHECK(i->id >= 0 && i->id < 4 && all[i->id] == i);
            CHECK_INT(i->count, 1000 + i->id);
            n++;
        }
        CHECK_INT(n, 4);
        scenario_report();
    }
    scenario_loop("loop");
}

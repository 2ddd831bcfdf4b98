/* Arrays that grow with no rule (Kitsune's ktcc-autoarray shape): a global int array
 * from 2 to 4 elements, a global array of structs holding pointers into itself from 2
 * to 3, and an array field of a heap struct from 3 to 5.  The old elements are carried
 * over (pointers translated), the new ones are zero, whatever the new version's
 * initialiser says. */
#include "scenario.h"

struct slot {
    int id;
    struct slot *peer;
};

struct hist {
    int n;
#if VERSION == 1
    long counts[3];
#else
    long counts[5];
#endif
    int tail;
};

#if VERSION == 1
int x[2] = {0, 1};
struct slot slots[2];
#else
int x[4] = {0, 1, 9, 9};
struct slot slots[3] = {{0, NULL}, {0, NULL}, {42, &slots[0]}};
#endif
struct hist *h;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        x[0] = 5;
        x[1] = 6;
        slots[0] = (struct slot){10, &slots[1]};
        slots[1] = (struct slot){11, &slots[0]};
        h = calloc(1, sizeof *h);
        h->n = 3;
        for (int i = 0; i < 3; i++)
            h->counts[i] = 100 + i;
        h->tail = 77;
    } else {
        CHECK_INT(x[0], 5);
        CHECK_INT(x[1], 6);
#if VERSION == 2
        CHECK_INT(x[2], 0);
        CHECK_INT(x[3], 0);
        CHECK_INT(slots[2].id, 0);
        CHECK(slots[2].peer == NULL);
        CHECK_INT(h->counts[3], 0);
        CHECK_INT(h->counts[4], 0);
#endif
        CHECK_INT(slots[0].id, 10);
        CHECK(slots[0].peer == &slots[1]);
        CHECK_INT(slots[1].id, 11);
        CHECK(slots[1].peer == &slots[0]);
        CHECK_INT(h->n, 3);
        for (int i = 0; i < 3; i++)
            CHECK_INT(h->counts[i], 100 + i);
        CHECK_INT(h->tail, 77);
        scenario_report();
    }
    scenario_loop("loop");
}

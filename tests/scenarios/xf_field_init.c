/* A field added to a struct and initialised from the old object by an INIT rule that
 * reads $base (xf_field_init.v2.xf): a global, a global array and a heap list are
 * rebuilt with the new field, every other field keeps its value. */
#include "scenario.h"

struct item {
    int id;
    long price;
#if VERSION >= 2
    long total; /* new in v2: id * price */
#endif
    struct item *next;
};

struct item one;
struct item shelf[3];
struct item *list;

static void fill(struct item *it, int id)
{
    it->id = id;
    it->price = 100L * id;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        fill(&one, 7);
        for (int i = 0; i < 3; i++)
            fill(&shelf[i], i + 1);
        for (int i = 1; i <= 4; i++) {
            struct item *it = malloc(sizeof *it);
            fill(it, i);
            it->next = list;
            list = it;
        }
    } else {
#if VERSION >= 2
        CHECK_INT(one.id, 7);
        CHECK_INT(one.total, 7 * 700);
        CHECK_INT(shelf[2].total, 3 * 300);
        CHECK_INT(shelf[0].price, 100);
        int n = 0;
        for (struct item *it = list; it; it = it->next, n++)
            CHECK_INT(it->total, (long)it->id * it->price);
        CHECK_INT(n, 4);
        CHECK_INT(list->id, 4);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}

/* A field removed from a struct: globals, a global array and a heap list are rebuilt
 * without it; every other field keeps its value. */
#include "scenario.h"

struct rec {
    int a;
#if VERSION == 1
    long removed;
    char gone[3];
#endif
    int b;
    char name[8];
    struct rec *next;
};

struct rec one;
struct rec many[4];
struct rec *list;

static void fill(struct rec *r, int i)
{
    r->a = i;
#if VERSION == 1
    r->removed = -1;
    memcpy(r->gone, "xy", 3);
#endif
    r->b = -i * 3;
    snprintf(r->name, sizeof r->name, "r%d", i);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        fill(&one, 100);
        for (int i = 0; i < 4; i++)
            fill(&many[i], i);
        for (int i = 5; i > 0; i--) {
            struct rec *r = malloc(sizeof *r);
            fill(r, 10 + i);
            r->next = list;
            list = r;
        }
    } else {
        CHECK_INT(one.a, 100);
        CHECK_INT(one.b, -300);
        CHECK_STR(one.name, "r100");
        CHECK(one.next == NULL);
        for (int i = 0; i < 4; i++) {
            CHECK_INT(many[i].a, i);
            CHECK_INT(many[i].b, -i * 3);
        }
        CHECK_STR(many[3].name, "r3");
        int i = 11;
        for (struct rec *r = list; r; r = r->next, i++) {
            CHECK_INT(r->a, i);
            CHECK_INT(r->b, -i * 3);
            char want[8];
            snprintf(want, sizeof want, "r%d", i);
            CHECK_STR(r->name, want);
        }
        CHECK_INT(i, 16);
        scenario_report();
    }
    scenario_loop("loop");
}

/* Flexible array members (T items[] E_ARRAY(self.n)): an object is longer than its
 * type.  Rebuilt with all its elements when they change, or when only the header
 * changes; a pointer into the tail lands on the new element; a struct with an
 * unannotated flexible array that needs nothing stays where it is. */
#include <stdint.h>

#include "scenario.h"

struct item {
#if VERSION == 1
    int a;
    char *s;
#else
    char *s;
    long a;
#endif
};

struct msg {
    int n;
    struct item items[] E_ARRAY(self.n);
};

struct bag {
#if VERSION == 1
    short n;
#else
    int n; /* widened: the header moves, the elements do not change */
#endif
    int vals[] E_ARRAY(self.n);
};

struct plain {
    int n;
    char data[];
};

struct msg *m;
struct item *third;
struct bag *bag;
struct plain *plain;
uintptr_t plain_addr;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        m = malloc(sizeof *m + 5 * sizeof m->items[0]);
        m->n = 5;
        for (int i = 0; i < 5; i++) {
            m->items[i].a = -i;
            m->items[i].s = malloc(8);
            snprintf(m->items[i].s, 8, "s%d", i);
        }
        third = &m->items[2];
        bag = malloc(sizeof *bag + 100 * sizeof bag->vals[0]);
        bag->n = 100;
        for (int i = 0; i < 100; i++)
            bag->vals[i] = i * i;
        plain = malloc(sizeof *plain + 6);
        plain->n = 6;
        memcpy(plain->data, "hello", 6);
        plain_addr = (uintptr_t)plain;
    } else {
        CHECK_INT(m->n, 5);
        for (int i = 0; i < 5; i++) {
            CHECK_INT(m->items[i].a, -i);
            char want[8];
            snprintf(want, sizeof want, "s%d", i);
            CHECK_STR(m->items[i].s, want);
        }
        CHECK(third == &m->items[2]);
        CHECK_INT(bag->n, 100);
        for (int i = 0; i < 100; i++)
            CHECK_INT(bag->vals[i], i * i);
        CHECK((uintptr_t)plain == plain_addr);
        CHECK_STR(plain->data, "hello");
        scenario_report();
    }
    scenario_loop("loop");
}

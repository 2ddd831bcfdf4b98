/* Issue 3: a pointer to the 5th element of a heap array whose element type grew.
 * The array is rebuilt once (not a second copy of element 5); the interior pointer
 * lands on the new 5th element, whether it is reached before or after the array,
 * from a global or from another heap object, and also into a field of an element. */
#include "scenario.h"

struct elem {
#if VERSION == 1
    int v;
#else
    long v; /* grew */
#endif
    int w;
};

struct arr {
    int n;
    struct elem *items E_PTRARRAY(self.n);
};

struct elem *fifth_first;    /* declared before the array: found first */
struct arr array;
struct elem *fifth_after;
int *fifth_w;
struct holder {
    struct elem *p;
} *holder;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        array.n = 10;
        array.items = malloc(10 * sizeof *array.items);
        for (int i = 0; i < 10; i++)
            array.items[i] = (struct elem){.v = -i, .w = i * 100};
        fifth_first = fifth_after = &array.items[4];
        fifth_w = &array.items[4].w;
        holder = malloc(sizeof *holder);
        holder->p = &array.items[4];
    } else {
        CHECK_INT(array.n, 10);
        for (int i = 0; i < 10; i++) {
            CHECK_INT(array.items[i].v, -i);
            CHECK_INT(array.items[i].w, i * 100);
        }
        CHECK(fifth_first == &array.items[4]);
        CHECK(fifth_after == &array.items[4]);
        CHECK(fifth_w == &array.items[4].w);
        CHECK(holder->p == &array.items[4]);
        fifth_first->v = 12345; /* one object: a write shows through the array */
        CHECK_INT(array.items[4].v, 12345);
        scenario_report();
    }
    scenario_loop("loop");
}

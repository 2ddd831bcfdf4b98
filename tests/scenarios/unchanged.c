/* Objects whose type did not change stay where they are and are not visited: a
 * 100000-node heap list and a heap array of unchanged structs keep their addresses,
 * while an unrelated global changes type.
 * kitsune-test: expect objects_transformed = 0
 * kitsune-test: expect pointers_fixed = 0 */
#include <stdint.h>

#include "scenario.h"

#define N 100000

struct node {
    int value;
    char tag[4];
    struct node *next;
};

struct cell {
    short x, y;
    double w;
};

struct node *list;
struct cell *cells E_PTRARRAY(16);
uintptr_t first_addrs[3];     /* integers, never followed */
uintptr_t cells_addr;
#if VERSION == 1
int widened;                  /* changes type: the update is not empty */
#else
long widened;
#endif

static void setup(void)
{
    for (int i = N; i > 0; i--) {
        struct node *n = malloc(sizeof *n);
        n->value = i;
        memcpy(n->tag, "abc", 4);
        n->next = list;
        list = n;
    }
    for (int i = 0; i < 3; i++)
        first_addrs[i] = (uintptr_t)(i == 0 ? list : i == 1 ? list->next : list->next->next);
    cells = malloc(16 * sizeof *cells);
    for (int i = 0; i < 16; i++)
        cells[i] = (struct cell){(short)i, (short)-i, i * 0.25};
    cells_addr = (uintptr_t)cells;
    widened = -7;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        setup();
    } else {
        CHECK_INT(widened, -7);
        CHECK((uintptr_t)list == first_addrs[0]);
        CHECK((uintptr_t)list->next == first_addrs[1]);
        CHECK((uintptr_t)list->next->next == first_addrs[2]);
        CHECK((uintptr_t)cells == cells_addr);
        int n = 0;
        long sum = 0;
        for (struct node *p = list; p; p = p->next, n++)
            sum += p->value;
        CHECK_INT(n, N);
        CHECK_INT(sum, (long)N * (N + 1) / 2);
        CHECK_STR(list->tag, "abc");
        CHECK_INT(cells[15].y, -15);
        CHECK(cells[3].w == 0.75);
        scenario_report();
    }
    scenario_loop("loop");
}

/* Fields reordered: matched by name, so each keeps its value wherever it moved. */
#include "scenario.h"

struct rec {
#if VERSION == 1
    char c;
    int i;
    long l;
    double d;
    struct rec *next;
    short s;
#else
    struct rec *next;
    short s;
    double d;
    char c;
    long l;
    int i;
#endif
};

struct rec g;
struct rec *heap;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        g = (struct rec){.c = 'g', .i = -5, .l = 1L << 40, .d = 2.5, .s = 300};
        heap = malloc(sizeof *heap);
        *heap = (struct rec){.c = 'h', .i = 77, .l = -(1L << 35), .d = -0.125, .s = -2};
        heap->next = malloc(sizeof *heap);
        *heap->next = (struct rec){.c = 'k', .i = 1, .l = 2, .d = 3, .s = 4, .next = heap};
        g.next = heap;
    } else {
        CHECK_INT(g.c, 'g');
        CHECK_INT(g.i, -5);
        CHECK_INT(g.l, 1L << 40);
        CHECK(g.d == 2.5);
        CHECK_INT(g.s, 300);
        CHECK(g.next == heap);
        CHECK_INT(heap->c, 'h');
        CHECK_INT(heap->i, 77);
        CHECK_INT(heap->l, -(1L << 35));
        CHECK(heap->d == -0.125);
        CHECK_INT(heap->s, -2);
        CHECK_INT(heap->next->c, 'k');
        CHECK_INT(heap->next->s, 4);
        CHECK(heap->next->next == heap);
        scenario_report();
    }
    scenario_loop("loop");
}

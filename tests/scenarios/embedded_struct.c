/* A struct embedded by value changes layout: every struct containing it (a global, a
 * heap object, an array element, two levels deep) is rebuilt around it. */
#include "scenario.h"

struct inner {
#if VERSION == 1
    short tag;
    int value;
#else
    long value;
    short tag;
#endif
};

struct middle {
    int id;
    struct inner in;
    struct inner pair[2];
};

struct outer {
    struct middle m;
    struct inner last;
    struct outer *next;
};

struct outer g;
struct middle mids[3];
struct outer *heap;

static void fill_inner(struct inner *in, int v)
{
    in->tag = (short)(v % 1000);
    in->value = -v;
}

static void fill_middle(struct middle *m, int v)
{
    m->id = v;
    fill_inner(&m->in, v + 1);
    fill_inner(&m->pair[0], v + 2);
    fill_inner(&m->pair[1], v + 3);
}

static void check_inner(const struct inner *in, int v)
{
    CHECK_INT(in->tag, v % 1000);
    CHECK_INT(in->value, -v);
}

static void check_middle(const struct middle *m, int v)
{
    CHECK_INT(m->id, v);
    check_inner(&m->in, v + 1);
    check_inner(&m->pair[0], v + 2);
    check_inner(&m->pair[1], v + 3);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        fill_middle(&g.m, 10);
        fill_inner(&g.last, 20);
        for (int i = 0; i < 3; i++)
            fill_middle(&mids[i], 100 * i);
        heap = malloc(sizeof *heap);
        fill_middle(&heap->m, 500);
        fill_inner(&heap->last, 600);
        heap->next = heap;
        g.next = heap;
    } else {
        check_middle(&g.m, 10);
        check_inner(&g.last, 20);
        for (int i = 0; i < 3; i++)
            check_middle(&mids[i], 100 * i);
        CHECK(g.next == heap);
        check_middle(&heap->m, 500);
        check_inner(&heap->last, 600);
        CHECK(heap->next == heap);
        scenario_report();
    }
    scenario_loop("loop");
}

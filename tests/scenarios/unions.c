/* Unions without pointers whose type did not change are copied bytewise: a global
 * union, a union inside a struct that changes layout, a heap struct holding one, and
 * an array of unions. */
#include "scenario.h"

union num {
    long i;
    double d;
    unsigned char bytes[8];
};

struct tagged {
#if VERSION == 1
    char kind;
    union num u;
#else
    union num u;
    int kind;
#endif
    struct tagged *next;
};

union num g;
union num arr[3];
struct tagged t;
struct tagged *heap;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        g.d = 3.25;
        arr[0].i = -1;
        arr[1].d = 1e100;
        memcpy(arr[2].bytes, "1234567", 8);
        t.kind = 'd';
        t.u.d = -2.5;
        heap = malloc(sizeof *heap);
        heap->kind = 'i';
        heap->u.i = 1L << 50;
        heap->next = NULL;
        t.next = heap;
    } else {
        CHECK(g.d == 3.25);
        CHECK_INT(arr[0].i, -1);
        CHECK(arr[1].d == 1e100);
        CHECK_STR((char *)arr[2].bytes, "1234567");
        CHECK_INT(t.kind, 'd');
        CHECK(t.u.d == -2.5);
        CHECK(t.next == heap);
        CHECK_INT(heap->kind, 'i');
        CHECK_INT(heap->u.i, 1L << 50);
        CHECK(heap->next == NULL);
        scenario_report();
    }
    scenario_loop("loop");
}

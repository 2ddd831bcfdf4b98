/* Pointers to globals and statics are remapped to the new variables, also when they
 * point into the middle of an array or struct whose type changed (the offset is
 * translated through the new layout): from globals, from heap objects, to a file
 * static, a function static, an element of an array of structs and a field in it. */
#include "scenario.h"

struct pt {
#if VERSION == 1
    int x, y;
#else
    long y; /* widened, so x moves from offset 0 to 8 */
    int x;
#endif
};

struct pt pts[5];
struct pt origin;
int plain[8];
static int file_counter;
struct pt *to_elem;        /* &pts[3] */
int *to_x;                 /* &pts[2].x: interior, moved field */
struct pt *to_origin;
int *to_plain;             /* &plain[6] */
int *to_static;
int *to_fstatic;

struct refs {
    struct pt *elem;
    int *plain_mid;
    int *fstatic;
};
struct refs *heap_refs;

static int *counter_addr(void)
{
    static int calls = 17;
    return &calls;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < 5; i++)
            pts[i] = (struct pt){.x = i, .y = -i};
        origin = (struct pt){.x = 100, .y = 200};
        for (int i = 0; i < 8; i++)
            plain[i] = i * 11;
        file_counter = 9;
        to_elem = &pts[3];
        to_x = &pts[2].x;
        to_origin = &origin;
        to_plain = &plain[6];
        to_static = &file_counter;
        to_fstatic = counter_addr();
        heap_refs = malloc(sizeof *heap_refs);
        heap_refs->elem = &pts[4];
        heap_refs->plain_mid = &plain[1];
        heap_refs->fstatic = counter_addr();
    } else {
        CHECK(to_elem == &pts[3]);
        CHECK_INT(to_elem->x, 3);
        CHECK_INT(to_elem->y, -3);
        CHECK(to_x == &pts[2].x);
        CHECK_INT(*to_x, 2);
        CHECK(to_origin == &origin);
        CHECK_INT(to_origin->y, 200);
        CHECK(to_plain == &plain[6]);
        CHECK_INT(*to_plain, 66);
        CHECK(to_static == &file_counter);
        CHECK_INT(*to_static, 9);
        CHECK(to_fstatic == counter_addr());
        CHECK_INT(*to_fstatic, 17);
        CHECK(heap_refs->elem == &pts[4]);
        CHECK(heap_refs->plain_mid == &plain[1]);
        CHECK(heap_refs->fstatic == counter_addr());
        scenario_report();
    }
    scenario_loop("loop");
}

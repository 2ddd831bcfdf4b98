/* Bitfields: moved, widened (signed values keep their sign), reordered, a bitfield
 * becoming a plain integer and a plain integer becoming a wider bitfield, in a global
 * and in heap objects; a struct with unchanged bitfields keeps its objects in place. */
#include <stdint.h>

#include "scenario.h"

struct flags {
#if VERSION == 1
    unsigned a : 3;
    int b : 5;
    unsigned c : 1;
    int d;
    unsigned e : 4;
    short f;
    struct flags *next;
#else
    short f;
    unsigned c : 1;
    int b : 12;
    unsigned a : 7;
    long d : 40;
    struct flags *next;
    long e;
#endif
};

struct same {
    unsigned x : 3, y : 5;
    int z : 7;
    struct same *next;
};

struct flags g;
struct flags *list;
struct same *same_list;
uintptr_t same_addr;

static void check(const struct flags *f, int i)
{
    CHECK_INT(f->a, i % 8);
    CHECK_INT(f->b, -i % 16);
    CHECK_INT(f->c, i & 1);
    CHECK_INT(f->d, -100000 * i);
    CHECK_INT(f->e, 15 - i % 16);
    CHECK_INT(f->f, -i);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < 20; i++) {
            struct flags *f = malloc(sizeof *f);
            f->a = (unsigned)(i % 8);
            f->b = -i % 16;
            f->c = (unsigned)(i & 1);
            f->d = -100000 * i;
            f->e = (unsigned)(15 - i % 16);
            f->f = (short)-i;
            f->next = list;
            list = f;
        }
        g = *list;
        g.next = NULL;
        for (int i = 0; i < 3; i++) {
            struct same *s = malloc(sizeof *s);
            s->x = 5;
            s->y = 17;
            s->z = -60;
            s->next = same_list;
            same_list = s;
        }
        same_addr = (uintptr_t)same_list;
    } else {
        check(&g, 19);
        int i = 19;
        for (struct flags *f = list; f; f = f->next, i--)
            check(f, i);
        CHECK_INT(i, -1);
        CHECK((uintptr_t)same_list == same_addr);
        for (struct same *s = same_list; s; s = s->next) {
            CHECK_INT(s->x, 5);
            CHECK_INT(s->y, 17);
            CHECK_INT(s->z, -60);
        }
        scenario_report();
    }
    scenario_loop("loop");
}

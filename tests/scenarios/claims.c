/* One old object reached in several ways is transformed once, as the largest thing it
 * is part of:
 *   - a struct that is only fixed in place (it holds a function pointer) embedded in
 *     a rebuilt struct, reached first through a pointer to it: the pointer lands in
 *     the new container and the function pointer there is remapped;
 *   - a struct reached first through a pointer to its first member (of a changed
 *     type), then through a pointer to itself: rebuilt whole, the member pointer
 *     lands on the new member;
 *   - a heap array reached first through a pointer to its first element, then as
 *     E_PTRARRAY(8): every element is rebuilt and what they point to is found;
 *   - an E_SZ array of large (300-byte) elements whose terminator would not stay zero
 *     by itself (an enum whose 0 is renumbered): the terminator stays all zero. */
#include "scenario.h"

static int twice(int x) { return 2 * x + VERSION * 1000; }

struct cbox { /* same layout in both versions */
    int (*fn)(int);
    int n;
};

struct outer {
#if VERSION == 1
    int id;
#else
    long id;
#endif
    struct cbox box;
};

struct head {
#if VERSION == 1
    int x;
#else
    long x;
#endif
};

struct whole {
    struct head h;
    int more;
};

struct leaf {
#if VERSION == 1
    short v;
#else
    int v;
#endif
};

struct elem {
#if VERSION == 1
    int v;
#else
    long v;
#endif
    struct leaf *leaf;
};

enum kind {
#if VERSION == 1
    K_END, K_A, K_B
#else
    K_A, K_B, K_END
#endif
};

struct big {
    enum kind k;
    char text[296];
};

/* Declared (so found) before what contains them. */
struct cbox *box_ptr;
struct head *head_ptr;
struct elem *first_elem;
struct outer *outer;
struct whole *whole;
struct elem *elems E_PTRARRAY(8);
struct big *bigs E_SZ;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        outer = malloc(sizeof *outer);
        outer->id = -5;
        outer->box = (struct cbox){twice, 7};
        box_ptr = &outer->box;
        whole = malloc(sizeof *whole);
        whole->h.x = -77;
        whole->more = 99;
        head_ptr = &whole->h;
        elems = malloc(8 * sizeof *elems);
        for (int i = 0; i < 8; i++) {
            elems[i].v = -i;
            elems[i].leaf = malloc(sizeof *elems[i].leaf);
            elems[i].leaf->v = (short)(100 + i);
        }
        first_elem = elems;
        bigs = calloc(4, sizeof *bigs);
        for (int i = 0; i < 3; i++) {
            bigs[i].k = i % 2 ? K_B : K_A;
            snprintf(bigs[i].text, sizeof bigs[i].text, "big %d", i);
        }
    } else {
        CHECK_INT(outer->id, -5);
        CHECK(box_ptr == &outer->box);
        CHECK(outer->box.fn == twice);
        CHECK_INT(box_ptr->fn(1), 2002);
        CHECK_INT(box_ptr->n, 7);
        CHECK(head_ptr == &whole->h);
        CHECK_INT(whole->h.x, -77);
        CHECK_INT(whole->more, 99);
        CHECK(first_elem == elems);
        for (int i = 0; i < 8; i++) {
            CHECK_INT(elems[i].v, -i);
            CHECK_INT(elems[i].leaf->v, 100 + i);
        }
        for (int i = 0; i < 3; i++) {
            CHECK_INT(bigs[i].k, i % 2 ? K_B : K_A);
            char want[16];
            snprintf(want, sizeof want, "big %d", i);
            CHECK_STR(bigs[i].text, want);
        }
        static const struct big zero;
        CHECK(memcmp(&bigs[3], &zero, sizeof zero) == 0);
        scenario_report();
    }
    scenario_loop("loop");
}

/* Heap arrays whose element type changes: E_PTRARRAY(self.n) with the count in the
 * enclosing struct (read from the old object, also when the count field itself is
 * widened), a literal E_PTRARRAY(6), and an array of pointers to arrays. */
#include "scenario.h"

struct elem {
#if VERSION == 1
    int v;
    short s;
#else
    short s;
    long v;
#endif
};

struct vec {
#if VERSION == 1
    int n;
#else
    long n;
#endif
    struct elem *data E_PTRARRAY(self.n);
    struct elem *six E_PTRARRAY(6);
};

struct vec vec;
struct vec *vecs[2];
struct elem *lit E_PTRARRAY(3);

static struct vec make(int n, int base)
{
    struct vec v = {.n = n};
    v.data = malloc((size_t)n * sizeof *v.data);
    for (int i = 0; i < n; i++)
        v.data[i] = (struct elem){.v = base + i, .s = (short)-i};
    v.six = malloc(6 * sizeof *v.six);
    for (int i = 0; i < 6; i++)
        v.six[i] = (struct elem){.v = -base - i, .s = (short)i};
    return v;
}

static void check(const struct vec *v, int n, int base)
{
    CHECK_INT(v->n, n);
    for (int i = 0; i < n; i++) {
        CHECK_INT(v->data[i].v, base + i);
        CHECK_INT(v->data[i].s, -i);
    }
    for (int i = 0; i < 6; i++) {
        CHECK_INT(v->six[i].v, -base - i);
        CHECK_INT(v->six[i].s, i);
    }
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        vec = make(20, 1000);
        for (int i = 0; i < 2; i++) {
            vecs[i] = malloc(sizeof *vecs[i]);
            *vecs[i] = make(5 + i, 100 * i);
        }
        lit = malloc(3 * sizeof *lit);
        for (int i = 0; i < 3; i++)
            lit[i] = (struct elem){.v = 7 * i, .s = 9};
    } else {
        check(&vec, 20, 1000);
        check(vecs[0], 5, 0);
        check(vecs[1], 6, 100);
        for (int i = 0; i < 3; i++) {
            CHECK_INT(lit[i].v, 7 * i);
            CHECK_INT(lit[i].s, 9);
        }
        scenario_report();
    }
    scenario_loop("loop");
}

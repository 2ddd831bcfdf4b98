/* Pointers to fields of heap structs that were rebuilt: a pointer to an int field
 * that moved, to an embedded struct, to an element of an inline array, and to a field
 * inside an array element, both from globals and from another heap object. */
#include "scenario.h"

struct sub {
    int a, b;
};

struct obj {
#if VERSION == 1
    int first;
    int count;
    struct sub s;
    int vals[4];
    struct sub subs[2];
#else
    long first; /* widened: everything after it moves */
    struct sub subs[2];
    int vals[4];
    struct sub s;
    int count;
#endif
};

struct ref {
    int *count;
    struct sub *s;
};

struct obj *o;
int *count_ptr;
struct sub *sub_ptr;
int *val_ptr;      /* &o->vals[2] */
int *deep_ptr;     /* &o->subs[1].b */
struct ref *r;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        o = malloc(sizeof *o);
        o->first = -1;
        o->count = 3;
        o->s = (struct sub){4, 5};
        for (int i = 0; i < 4; i++)
            o->vals[i] = 10 + i;
        o->subs[0] = (struct sub){20, 21};
        o->subs[1] = (struct sub){22, 23};
        count_ptr = &o->count;
        sub_ptr = &o->s;
        val_ptr = &o->vals[2];
        deep_ptr = &o->subs[1].b;
        r = malloc(sizeof *r);
        r->count = &o->count;
        r->s = &o->subs[1];
    } else {
        CHECK_INT(o->first, -1);
        CHECK(count_ptr == &o->count);
        CHECK_INT(*count_ptr, 3);
        CHECK(sub_ptr == &o->s);
        CHECK_INT(sub_ptr->b, 5);
        CHECK(val_ptr == &o->vals[2]);
        CHECK_INT(*val_ptr, 12);
        CHECK(deep_ptr == &o->subs[1].b);
        CHECK_INT(*deep_ptr, 23);
        CHECK(r->count == &o->count);
        CHECK(r->s == &o->subs[1]);
        CHECK_INT(r->s->a, 22);
        scenario_report();
    }
    scenario_loop("loop");
}

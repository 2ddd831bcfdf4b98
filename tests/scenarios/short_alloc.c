/* Objects allocated shorter than their type, as Redis allocates sizeof(robj) minus its
 * trailing member: half of the objects end where the E_OPTIONAL member starts,
 * interleaved with complete ones.  Version 2 keeps the layout: the objects are fixed
 * in place (a function pointer remapped), and the pointer in the optional part is
 * followed only in the complete ones (before, the neighbour's bytes were read as that
 * pointer).  Version 3 widens a field before the optional part: each object is rebuilt
 * as far as it goes, the short ones short (before, the update was rolled back on that
 * pointer).  Version 4 moves a field into the optional
 * part, which a short object does not have: refused before the pause, naming the type
 * and the field.
 * kitsune-test: outcomes=committed,committed,refused
 * kitsune-test: reason=struct obj.label: objects of struct obj may end before vm (E_OPTIONAL), and this update moves struct obj.label into the optional part */
#include <stddef.h>

#include "scenario.h"

struct obj;
struct vmpart {
    long page, used;
    struct obj *peer;
};

typedef struct obj {
    int type;
#if VERSION < 3
    int refcount;
#else
    long refcount;
#endif
#if VERSION < 4
    const char *label;
#endif
    int (*score)(int);
    struct vmpart vm E_OPTIONAL;
#if VERSION == 4
    const char *label;
#endif
} obj;

#define NOBJS 8
obj *objs[NOBJS];

static int is_short(int i)
{
    return i % 2 == 0;
}

static int score(int v)
{
    return v * VERSION;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < NOBJS; i++) {
            /* volatile: the size is the program's business, as in Redis */
            volatile size_t size = is_short(i) ? offsetof(obj, vm) : sizeof(obj);
            obj *o = malloc(size);
            o->type = i;
            o->refcount = 100 + i;
            o->label = is_short(i) ? "short" : "full";
            o->score = score;
            objs[i] = o;
        }
        for (int i = 1; i < NOBJS; i += 2)
            objs[i]->vm = (struct vmpart){i * 10, i * 20, objs[(i + 2) % NOBJS]};
    } else {
        for (int i = 0; i < NOBJS; i++) {
            obj *o = objs[i];
            CHECK_INT(o->type, i);
            CHECK_INT(o->refcount, 100 + i);
            CHECK_STR(o->label, is_short(i) ? "short" : "full");
            CHECK_INT(o->score(2), 2 * VERSION);
            if (!is_short(i)) {
                CHECK_INT(o->vm.page, i * 10);
                CHECK_INT(o->vm.used, i * 20);
                CHECK(o->vm.peer == objs[(i + 2) % NOBJS]);
            }
        }
        scenario_report();
    }
    scenario_loop("loop");
}

/* Interior pointers to rebuilt data are the general engine's: a pointer to a member of
 * a heap object, both of whose types changed (a pointer to unchanged data inside a
 * rebuilt object is the forwarding engine's: scenario fast_interior).  With
 * KITSUNE_ENGINE=fast the update is refused and says why; without it
 * (scenario_field_ptr, scenario_interior_heap) the general engine runs.
 * kitsune-test: env=KITSUNE_ENGINE=fast
 * kitsune-test: outcomes=rolled_back
 * kitsune-test: reason=needs the general engine: objects of type struct inner are reached by pointer and also held inside other heap objects */
#include "scenario.h"

struct inner {
    long a, b;
#if VERSION == 2
    long c;
#endif
};

struct outer {
    long id;
#if VERSION == 2
    long extra;
#endif
    struct inner in;
};

struct holder {
    struct outer *o;
    struct inner *member; /* points into *o */
};

struct holder *h;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        h = malloc(sizeof *h);
        h->o = malloc(sizeof *h->o);
        h->o->id = 1;
        h->o->in = (struct inner){.a = 2, .b = 3};
        h->member = &h->o->in;
    } else {
        CHECK(h->member == &h->o->in);
        CHECK_INT(h->member->b, 3);
        scenario_report();
    }
    scenario_loop("loop");
}

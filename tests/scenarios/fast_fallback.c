/* Interior pointers are the general engine's: a pointer to a member of a heap object
 * whose type changed.  With KITSUNE_ENGINE=fast the update is refused and says why;
 * without it (scenario_field_ptr, scenario_interior_heap) the general engine runs.
 * kitsune-test: env=KITSUNE_ENGINE=fast
 * kitsune-test: outcomes=rolled_back
 * kitsune-test: reason=needs the general engine: a pointer to struct inner in struct holder may point inside a rebuilt object */
#include "scenario.h"

struct inner {
    long a, b;
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
        h->o->in = (struct inner){2, 3};
        h->member = &h->o->in;
    } else {
        CHECK(h->member == &h->o->in);
        CHECK_INT(h->member->b, 3);
        scenario_report();
    }
    scenario_loop("loop");
}

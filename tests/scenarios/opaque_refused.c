/* Opaque is not blind, at update time: a version built by hand (without xfgen) changes
 * the layout of struct payload, which the old version keeps behind a void * E_OPAQUE
 * (kitc saw it hold a struct payload: holds=) and behind a struct payload * E_OPAQUE.
 * The objects behind them would not be transformed, so the runtime refuses the update
 * before the program pauses, naming the field and the type, and the program goes on as
 * it was.  Version 3 keeps the layout and checks the payload is intact.
 * kitsune-test: outcomes=refused,committed reason=E_OPAQUE pointer to struct payload, whose layout changed */
#include "scenario.h"

struct payload {
    int count;
#if VERSION == 2
    int limit;
#endif
};

struct server {
    void *state E_OPAQUE;
    struct payload *last E_OPAQUE;
    int ticks;
};

struct server srv;

static void setup(struct payload *p)
{
    srv.state = p;
    srv.last = p;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct payload *p = malloc(sizeof *p);
        p->count = 41;
        setup(p);
    } else {
        CHECK_INT(((struct payload *)srv.state)->count, 41);
        CHECK(srv.last == srv.state);
        scenario_report();
    }
    scenario_loop("loop");
}

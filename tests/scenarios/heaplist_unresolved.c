/* A heap list whose element type kitsune cannot resolve: version 2 (built by hand,
 * without xfgen, which would stop the build) names `struct connection`, a type it does
 * not have.  The runtime refuses that update before the program pauses, naming the
 * list and the type, and the connections are as they were: version 3 names its element
 * type again and checks every element.
 * kitsune-test: outcomes=refused,committed
 * kitsune-test: reason=conns: E_G(struct connection): no type struct connection in the new version */
#include "scenario.h"

struct conn {
    int fd;
    int requests;
};

#if VERSION == 2
kitsune_heaplist E_G(struct connection) conns;
#else
kitsune_heaplist E_G(struct conn) conns;
#endif
int nconns;

static void check_conns(void)
{
    kitsune_heaplist_iterator *it;
    struct conn *c;
    int n = 0;
    HEAPLIST_FOR_EACH(&conns, c, struct conn *, it) {
        CHECK_INT(c->requests, c->fd * 10);
        n++;
    }
    CHECK_INT(n, nconns);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        kitsune_heaplist_init(&conns);
        for (int fd = 3; fd < 7; fd++, nconns++) {
            struct conn *c = calloc(1, sizeof *c);
            c->fd = fd;
            c->requests = fd * 10;
            NOTE_HEAP(&conns, c);
        }
        check_conns();
    } else {
        check_conns();
        scenario_report();
    }
    scenario_loop("loop");
}

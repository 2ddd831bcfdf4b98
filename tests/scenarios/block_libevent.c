/* A libevent loop blocked with nothing to do breaks out for an update within 100 ms
 * (kitsune_event_attach), and the event base carries over.
 * kitsune-test: max-quiesce-ms=100 */
#include <event2/event.h>

#include "kitsune_libevent.h"
#include "scenario.h"

struct event_base *base E_OPAQUE;
long loops;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        base = event_base_new();
        kitsune_event_attach(base);
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK(base != NULL);
        CHECK(loops >= 1);
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        loops++;
        event_base_loop(base, 0);
    }
}

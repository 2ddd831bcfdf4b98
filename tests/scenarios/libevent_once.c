/* A libevent main without an outer loop, as memcached has it: the update point comes
 * right after the one event_base_loop call returns.  kitsune_event_attach breaks that
 * loop for the update; the new version's own event_base_loop must then run (a timer
 * it sets reports PASS from inside the loop) instead of returning at once because the
 * wakeup fd is still readable, which made the new main return right after the commit.
 * kitsune-test: outcomes=committed */
#include <event2/event.h>

#include "kitsune_libevent.h"
#include "scenario.h"

struct event_base *base E_OPAQUE;

#if VERSION == 2
static void report(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    scenario_report();
}
#endif

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        base = event_base_new();
        kitsune_event_attach(base);
        printf("ready\n");
        fflush(stdout);
    }
#if VERSION == 2
    struct timeval later = {0, 50 * 1000};
    event_base_once(base, -1, EV_TIMEOUT, report, NULL, &later);
#endif
    kitsune_update("main");
    event_base_loop(base, 0);
    kitsune_update("main");
    printf("FAIL version %d: the event loop returned\n", VERSION);
    fflush(stdout);
    return 0;
}

/* Function pointers the runtime cannot see - a libevent timer registered by version 1
 * and never re-registered - run the new version's function of the same name after
 * the update, and string literals of the retired version stay readable. */
#include <event2/event.h>

#include "kitsune_libevent.h"
#include "scenario.h"

struct blob {
    const char *text; /* a literal of version 1, behind an opaque pointer */
};

struct event_base *base E_OPAQUE;
struct event *tick E_OPAQUE;
struct blob *blob E_OPAQUE;
int last_version;
long ticks;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    last_version = VERSION;
    ticks++;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        base = event_base_new();
        kitsune_event_attach(base);
        tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
        struct timeval every = {0, 2000};
        event_add(tick, &every);
        blob = malloc(sizeof *blob);
        blob->text = "a literal of version 1";
        printf("ready\n");
        fflush(stdout);
    }
    int reported = 0;
    for (;;) {
        kitsune_update("loop");
        event_base_loop(base, EVLOOP_ONCE);
        if (VERSION == 2 && !reported && !kitsune_is_updating() && last_version == 2) {
            CHECK(ticks >= 1);
            CHECK_STR(blob->text, "a literal of version 1");
            scenario_report();
            reported = 1;
        }
    }
}

/* Connections whose struct event libevent holds by address (memcached's pattern: a
 * heap list of conns, each embedding its event, registered with event_add).  Version 2
 * keeps conn's layout: the conns are fixed in place (their handler remapped), the new
 * version re-registers each event at the same address as memcached's port does, and
 * every event fires for its own conn.  Version 3 removes a field in the middle of conn:
 * moving the conns would leave libevent with the old addresses, so the update is
 * refused before the pause, naming the type and the library (built by hand: xfgen
 * says the same at build time).
 * kitsune-test: outcomes=committed,refused
 * kitsune-test: reason=objects of struct conn hold a struct event (struct conn.ev) whose address libevent keeps */
#include <event2/event.h>
#include <event2/event_struct.h>

#include "scenario.h"

struct conn;
typedef void handler_fn(struct conn *);

struct conn {
    int fd[2];
#if VERSION < 3
    long spare; /* gone in version 3 */
#endif
    int hits;
    handler_fn *handler;
    struct event ev;
};

struct event_base *base E_OPAQUE;
kitsune_heaplist E_G(struct conn) conns;
int nconns;

static void count_hit(struct conn *c)
{
    c->hits += VERSION;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    char b;
    (void)what;
    if (read(fd, &b, 1) == 1)
        c->handler(c);
}

static void add_conn(void)
{
    struct conn *c = calloc(1, sizeof *c);
    if (pipe(c->fd) != 0)
        abort();
    c->handler = count_hit;
    event_assign(&c->ev, base, c->fd[0], EV_READ | EV_PERSIST, on_read, c);
    event_add(&c->ev, NULL);
    NOTE_HEAP(&conns, c);
    nconns++;
}

/* Every conn gets one byte; each event must call its own conn's handler. */
static void poke_all(void)
{
    kitsune_heaplist_iterator *it;
    struct conn *c;
    HEAPLIST_FOR_EACH(&conns, c, struct conn *, it)
        CHECK(write(c->fd[1], "x", 1) == 1);
    for (int i = 0; i < 20; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

int main(void)
{
    kitsune_do_automigrate();
    kitsune_heaplist_iterator *it;
    struct conn *c;
    if (!kitsune_is_updating()) {
        base = event_base_new();
        kitsune_heaplist_init(&conns);
        for (int i = 0; i < 3; i++)
            add_conn();
        poke_all();
        HEAPLIST_FOR_EACH(&conns, c, struct conn *, it)
            CHECK_INT(c->hits, 1);
    } else {
        /* As memcached's port: the events now call this version's code. */
        HEAPLIST_FOR_EACH(&conns, c, struct conn *, it) {
            CHECK(c->handler == count_hit);
            event_del(&c->ev);
            event_assign(&c->ev, base, c->fd[0], EV_READ | EV_PERSIST, on_read, c);
            event_add(&c->ev, NULL);
        }
        poke_all();
        int n = 0;
        HEAPLIST_FOR_EACH(&conns, c, struct conn *, it) {
            CHECK_INT(c->hits, 1 + VERSION);
            n++;
        }
        CHECK_INT(n, nconns);
        scenario_report();
    }
    scenario_loop("loop");
}

/* Connections whose struct event libevent holds by address (memcached's pattern: a
 * heap list of conns, each embedding its event, registered with event_add).  After
 * each committed update the new version re-registers every event at the same address,
 * as memcached's port does, and every event must fire for its own conn.
 *   v2 keeps conn's layout: the conns are fixed in place (their handler remapped);
 *   v3 swaps two fields before the event: the conns are rebuilt where they are (the
 *      new layout fits and the event stays at its offset); the first try fails after
 *      the transfer (an injected fault) and is rolled back, which must leave the conns
 *      as version 2 had them;
 *   v4 removes a field before the event, which would move it: moving the conns would
 *      leave libevent with the old addresses, so the update is refused before the
 *      pause, naming the type and the library.
 * Built by hand (xfgen says the same at build time).
 * kitsune-test: outcomes=committed,rolled_back,committed,refused faults=,migrate,,
 * kitsune-test: reason=injected fault: migrate
 * kitsune-test: reason=objects of struct conn hold a struct event (struct conn.ev) whose address libevent keeps, and this update would move them: the member moves within the object */
#include <event2/event.h>
#include <event2/event_struct.h>

#include "scenario.h"

struct conn;
typedef void handler_fn(struct conn *);

struct conn {
    int fd[2];
#if VERSION < 4
    long spare; /* gone in version 4 */
#endif
#if VERSION == 3
    handler_fn *handler;
    int hits;
#else
    int hits;
    handler_fn *handler;
#endif
    struct event ev;
};

struct event_base *base E_OPAQUE;
kitsune_heaplist E_G(struct conn) conns;
int nconns;

static void count_hit(struct conn *c)
{
    c->hits += VERSION;
}

/* All the conns watch one pipe, so libevent links their events to each other (its
 * list of the events of one fd): an event moved away leaves that list pointing at
 * the freed old object. */
int pipefd[2];

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    (void)fd;
    (void)what;
    c->handler(c);
}

static void add_conn(void)
{
    struct conn *c = calloc(1, sizeof *c);
    c->fd[0] = pipefd[0];
    c->handler = count_hit;
    event_assign(&c->ev, base, c->fd[0], EV_READ | EV_PERSIST, on_read, c);
    event_add(&c->ev, NULL);
    NOTE_HEAP(&conns, c);
    nconns++;
}

/* One byte in the pipe: one loop runs each conn's event once, calling its handler. */
static void poke_all(void)
{
    char b;
    CHECK(write(pipefd[1], "x", 1) == 1);
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    CHECK(read(pipefd[0], &b, 1) == 1);
}

int main(void)
{
    kitsune_do_automigrate();
    kitsune_heaplist_iterator *it;
    struct conn *c;
    if (!kitsune_is_updating()) {
        base = event_base_new();
        if (pipe(pipefd) != 0)
            abort();
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
            CHECK_INT(c->hits, VERSION * (VERSION + 1) / 2); /* 1 + 2 + ... */
            n++;
        }
        CHECK_INT(n, nconns);
        scenario_report();
    }
    scenario_loop("loop");
}

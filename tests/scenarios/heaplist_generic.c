/* A Kitsune heap list whose element type is given where it is declared:
 * `kitsune_heaplist E_G(conn) conns;` with NOTE_HEAP/UNNOTE_HEAP/HEAPLIST_FOR_EACH on a
 * pointer to it, as Kitsune's memcached port keeps its connections.  Version 2 adds a
 * field in the middle of conn, so every noted connection is rebuilt: the list must
 * lead to the new objects with their contents, one connection also held by a global
 * (`busiest`) must stay that same object, and the element reached only through the
 * list must be converted too. */
#include "scenario.h"

typedef struct conn {
    int fd;
#if VERSION >= 2
    long bytes_in; /* new, in the middle: set by heaplist_generic.v2.xf */
#endif
    int requests;
    char name[8];
} conn;

kitsune_heaplist E_G(conn) conns;
conn *busiest;

static void check_conns(void)
{
    kitsune_heaplist_iterator *it;
    conn *c;
    int n = 0, fds = 0;
    HEAPLIST_FOR_EACH(&conns, c, conn *, it) {
        CHECK_INT(c->requests, c->fd * 100);
        char want[8];
        snprintf(want, sizeof want, "c%d", c->fd);
        CHECK_STR(c->name, want);
#if VERSION >= 2
        CHECK_INT(c->bytes_in, c->requests + 1);
#endif
        fds += c->fd;
        n++;
    }
    CHECK_INT(n, 3);
    CHECK_INT(fds, 1 + 2 + 4);
    int found = 0;
    HEAPLIST_FOR_EACH(&conns, c, conn *, it)
        found += c == busiest;
    CHECK_INT(found, 1);
    CHECK_INT(busiest->fd, 4);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        kitsune_heaplist_init(&conns);
        for (int fd = 1; fd <= 8; fd *= 2) {
            conn *c = calloc(1, sizeof *c);
            c->fd = fd;
            c->requests = fd * 100;
            snprintf(c->name, sizeof c->name, "c%d", fd);
            NOTE_HEAP(&conns, c);
            if (fd == 4)
                busiest = c;
            if (fd == 8) {
                UNNOTE_HEAP(&conns, c);
                free(c);
            }
        }
        check_conns();
    } else {
        check_conns();
        scenario_report();
    }
    scenario_loop("loop");
}

/* Multi-level field paths: a field of a struct member renamed
 * (struct conn.stats.bytes -> struct conn.stats.nbytes) and one added inside it
 * (INIT struct conn.stats.errors, from the enclosing old object).  struct stats on its
 * own (the global `totals`) is not affected by those rules. */
#include "scenario.h"

struct stats {
#if VERSION == 1
    long bytes;
#else
    long nbytes;
    int errors;
#endif
    int packets;
};

struct conn {
    int fd;
    struct stats stats;
    struct conn *next;
};

struct stats totals;
struct conn *conns;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 1; i <= 2; i++) {
            struct conn *c = calloc(1, sizeof *c);
            c->fd = i;
#if VERSION == 1
            c->stats.bytes = 1000 * i;
#endif
            c->stats.packets = i;
            c->next = conns;
            conns = c;
        }
#if VERSION == 1
        totals.bytes = 3000;
#endif
        totals.packets = 3;
    } else {
#if VERSION == 2
        CHECK_INT(conns->fd, 2);
        CHECK_INT(conns->stats.nbytes, 2000);
        CHECK_INT(conns->stats.errors, -2);
        CHECK_INT(conns->stats.packets, 2);
        CHECK_INT(conns->next->stats.nbytes, 1000);
        CHECK_INT(conns->next->stats.errors, -1);
        CHECK_INT(totals.packets, 3);
        CHECK_INT(totals.nbytes, 3000);
        CHECK_INT(totals.errors, 0);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}

/* A field renamed (struct conn.fd -> struct conn.sock) with a rule without code, and
 * one renamed with code that changes its type (timeout_ms -> timeout_s); heap objects
 * and an interior pointer to a renamed field follow. */
#include "scenario.h"

struct conn {
#if VERSION == 1
    int fd;
    long timeout_ms;
#else
    int sock;
    double timeout_s;
#endif
    char name[12];
    struct conn *next;
};

struct conn *conns;
struct conn main_conn;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < 3; i++) {
            struct conn *c = calloc(1, sizeof *c);
#if VERSION == 1
            c->fd = 10 + i;
            c->timeout_ms = 1500 * (i + 1);
#endif
            snprintf(c->name, sizeof c->name, "c%d", i);
            c->next = conns;
            conns = c;
        }
#if VERSION == 1
        main_conn.fd = 3;
        main_conn.timeout_ms = 250;
#endif
        strcpy(main_conn.name, "main");
    } else {
#if VERSION == 2
        CHECK_INT(main_conn.sock, 3);
        CHECK(main_conn.timeout_s == 0.25);
        CHECK_STR(main_conn.name, "main");
        int n = 0;
        for (struct conn *c = conns; c; c = c->next, n++) {
            CHECK_INT(c->sock, 12 - n);
            CHECK(c->timeout_s == 1.5 * (3 - n));
        }
        CHECK_INT(n, 3);
        CHECK_STR(conns->name, "c2");
#endif
        scenario_report();
    }
    scenario_loop("loop");
}

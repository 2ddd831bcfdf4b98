/* A void * field and a void * global whose payload struct changes layout, with no
 * annotation and no rule: kitc infers the payload's type from the program (an
 * assignment from a typed pointer, a cast where it is used, a malloc of its sizeof),
 * so the update rebuilds the payloads and points the void * at the new objects.
 * kitsune-test: expect objects_transformed = 2 */
#include "scenario.h"

struct payload {
#if VERSION == 1
    int count;
    char name[8];
#else
    char name[8];   /* the fields swap places and count widens: a new layout */
    long count;
#endif
};

struct server {
    int port;
    void *state;    /* a struct payload *, as the code below shows */
};

struct server srv;
void *last;         /* one more, reached only through a void * global */

static struct payload *make(int count, const char *name)
{
    struct payload *p = malloc(sizeof(struct payload));
    memset(p, 0, sizeof *p);
    p->count = count;
    snprintf(p->name, sizeof p->name, "%s", name);
    return p;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        srv.port = 8080;
        srv.state = make(41, "alpha");
        last = malloc(sizeof(struct payload));
        memcpy(last, make(7, "omega"), sizeof(struct payload));
    } else {
        struct payload *p = srv.state;
        CHECK_INT(srv.port, 8080);
        CHECK_INT((int)p->count, 41);
        CHECK_STR(p->name, "alpha");
        CHECK_INT((int)((struct payload *)last)->count, 7);
        CHECK_STR(((struct payload *)last)->name, "omega");
        scenario_report();
    }
    scenario_loop("loop");
}

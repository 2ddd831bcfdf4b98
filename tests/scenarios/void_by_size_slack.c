/* A void * holding a struct big (200 bytes) or a struct small, decided at the update by
 * the usable size of each object's allocation - where glibc handed the big one out in a
 * chunk 16 bytes larger than asked for: a free chunk of 224 bytes, of which a request
 * of 208 would leave less than glibc's smallest chunk, is given whole (216 usable
 * bytes).  The object is still told to be a struct big (bysize.c: as asked for, or 16
 * bytes more), rebuilt as its type widens, and the update commits.  tcache is off so
 * that the freed chunk goes where a larger request can take it.
 * kitsune-test: env=GLIBC_TUNABLES=glibc.malloc.tcache_count=0
 * kitsune-test: outcomes=committed */
#include "scenario.h"

struct big {
#if VERSION == 1
    int v;
#else
    long v;
#endif
    char pad[196];
};

struct small {
    long a, b;
};

struct holder {
    void *data;
};

static struct holder held[2];

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        void *spare = malloc(216);     /* a chunk of 224 bytes */
        void *guard = malloc(16);      /* keeps it from the top of the heap */
        free(spare);
        struct big *b = malloc(sizeof *b); /* 200 bytes: takes the 224 whole */
        b->v = 42;
        struct small *s = malloc(sizeof *s);
        s->a = 7;
        held[0].data = b;
        held[1].data = s;
        (void)guard;
    } else {
        CHECK_INT(((struct big *)held[0].data)->v, 42);
        CHECK_INT(((struct small *)held[1].data)->a, 7);
        scenario_report();
    }
    scenario_loop("loop");
}

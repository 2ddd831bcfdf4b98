/* A program written with the original Kitsune's spellings: the headers ktthreads.h,
 * ktheaptrack.h and stackvars.h, heap lists passed by pointer with the iterator
 * declared by the program, and macros of its own whose names are common parameter
 * names (a program with `#define func fptr.fptr`), relying on kitsune.h for the C
 * headers Kitsune's pulled in (stdint.h here).  Built with -Wall -Wextra -Werror. */
#define func fptr.fptr
#define name label.text
#define list chain
#define point where
#define path route
#include <ktthreads.h>
#include <ktheaptrack.h>
#include <stackvars.h>
#include "scenario.h"

struct handler {
    struct {
        int (*fptr)(int);
    } fptr;
};

static int twice(int v)
{
    return 2 * v;
}

kitsune_heaplist conns;
struct handler h;
uint32_t generation;

static int sum_conns(void)
{
    kitsune_heaplist_iterator *it;
    int *c, sum = 0;
    HEAPLIST_FOR_EACH(&conns, c, int *, it)
        sum += *c;
    return sum;
}

int main(void)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK_INT(sum_conns(), 60);
        CHECK_INT(h.func(21), 42);
        CHECK_INT(generation, 7);
        scenario_report();
    } else {
        h.func = twice;
        generation = 7;
        kitsune_heaplist_init(&conns);
        for (int i = 1; i <= 4; i++) {
            int *c = malloc(sizeof *c);
            *c = i * 10;
            NOTE_HEAP(&conns, c);
            if (i == 4)
                CHECK(UNNOTE_HEAP(&conns, c));
        }
        CHECK_INT(sum_conns(), 60);
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        usleep(1000);
    }
}

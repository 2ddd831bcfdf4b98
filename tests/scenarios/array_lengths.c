/* Arrays of every length whose bound crosses a DWARF form width (1 ... 100000
 * elements, tests/kitc/src/arrays.h) as globals, file statics, function statics, struct
 * fields and 2-D arrays: after the update every element holds what version 1 wrote.
 * Built with gcc and clang at -O0 and -O2 by tests/lib/run_cc_matrix.sh. */
#include "scenario.h"

#include "../kitc/src/arrays.h"

/* Set at run time, so that no array can be proven to hold only two values (clang -O2
 * would shrink such a global to a flag whose DWARF location is an expression). */
unsigned seed;

/* The value version 1 writes at element i of the array of length n (tag tells the
 * arrays apart). */
static unsigned pattern(unsigned n, unsigned tag, unsigned i)
{
    return (i * 2654435761u + n * 40503u + tag * 977u + seed) >> 7;
}

#define DEFINE(n) int g##n[n]; static unsigned char s##n[n]; short m##n[2][n];
ARRAY_LENGTHS(DEFINE)
struct lens lens;

/* The function statics of one length: all of them in one function. */
static unsigned char *local_static(int which)
{
#define LOCAL(n) static unsigned char l##n[n]; if (which == n) return l##n;
    ARRAY_LENGTHS(LOCAL)
    return NULL;
}

#define FILL(n)                                                                          \
    for (unsigned i = 0; i < n; i++) {                                                   \
        g##n[i] = (int)pattern(n, 1, i);                                                 \
        s##n[i] = (unsigned char)pattern(n, 2, i);                                       \
        m##n[0][i] = (short)pattern(n, 3, i);                                            \
        m##n[1][i] = (short)pattern(n, 4, i);                                            \
        lens.f##n[i] = (unsigned char)pattern(n, 5, i);                                  \
        local_static(n)[i] = (unsigned char)pattern(n, 6, i);                            \
    }

/* Counts wrong elements rather than CHECKing each: a lost array is one FAIL line. */
#define VERIFY(n)                                                                        \
    {                                                                                    \
        unsigned bad = 0;                                                                \
        for (unsigned i = 0; i < n; i++)                                                 \
            bad += g##n[i] != (int)pattern(n, 1, i) ||                                   \
                   s##n[i] != (unsigned char)pattern(n, 2, i) ||                         \
                   m##n[0][i] != (short)pattern(n, 3, i) ||                              \
                   m##n[1][i] != (short)pattern(n, 4, i) ||                              \
                   lens.f##n[i] != (unsigned char)pattern(n, 5, i) ||                    \
                   local_static(n)[i] != (unsigned char)pattern(n, 6, i);                \
        if (bad)                                                                         \
            printf("FAIL arrays of %d elements: %u elements differ\n", n, bad);          \
        CHECK_INT(bad, 0);                                                               \
    }

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        seed = (unsigned)getpid() * 2654435761u;
        ARRAY_LENGTHS(FILL)
    } else {
        ARRAY_LENGTHS(VERIFY)
        scenario_report();
    }
    scenario_loop("loop");
}

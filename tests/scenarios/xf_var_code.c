/* Variable rules with code: an array whose element type changed (Celsius ints to
 * Fahrenheit doubles, renamed too), and a struct converted by hand whose heap chain is
 * handed to the generated transformer with $xform; a field rule narrows the counter
 * in every struct stats.  The rest of the state migrates automatically. */
#include "scenario.h"

struct stats {
#if VERSION == 1
    long count;
#else
    int count;
#endif
    int peak;
    struct stats *prev; /* heap chain: transformed through $xform */
};

#if VERSION == 1
int celsius[4];
#else
double fahrenheit[4];
#endif
struct stats stats;
int untouched = 5;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
#if VERSION == 1
        for (int i = 0; i < 4; i++)
            celsius[i] = i * 10;
        stats.count = 123456;
        stats.peak = 9;
        stats.prev = calloc(1, sizeof *stats.prev);
        stats.prev->peak = 4;
        stats.prev->count = 77;
#endif
        untouched = 6;
    } else {
#if VERSION == 2
        CHECK(fahrenheit[0] == 32.0);
        CHECK(fahrenheit[3] == 86.0);
        CHECK_INT(stats.count, 123456);
        CHECK_INT(stats.peak, 9);
        CHECK(stats.prev != NULL);
        CHECK_INT(stats.prev->peak, 4);
        CHECK_INT(stats.prev->count, 77);
        CHECK(stats.prev->prev == NULL);
        CHECK_INT(untouched, 6);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}

/* other.c - second file of the kitc test program: same names as main.c. */
#include "shapes.h"

static int same_name __attribute__((used)) = 2;
struct conn other_conn;

static int __attribute__((noinline)) f1(int step)
{
    static int count;
    count += step;
    return count;
}

int other_tick(void)
{
    return f1(1) + f1(2);
}

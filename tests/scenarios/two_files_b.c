#include "scenario.h"

static int count;        /* two_files_b.c/count */

static int next_id(void)
{
    static int calls;    /* two_files_b.c/next_id#calls */
    return calls += 5;
}

void other_bump(void)
{
    count += 10;
    next_id();
}

int other_count(void)
{
    return count;
}

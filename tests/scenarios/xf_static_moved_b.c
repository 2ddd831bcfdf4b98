/* The second file of xf_static_moved: holds the static `hits` in version 1 only. */
#include "scenario.h"

#if VERSION == 1
static int hits;

int *hits_addr(void)
{
    return &hits;
}

void bump(void)
{
    hits++;
}
#else
int xf_static_moved_b_unused; /* the file keeps something to compile */
#endif

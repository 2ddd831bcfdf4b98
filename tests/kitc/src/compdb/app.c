/* app.c - compiled with -I inc; kitc -p must use that flag to see the annotations. */
#include "extra.h"
struct session current;
static int hits __attribute__((used));
int touch(void)
{
    return ++hits;
}

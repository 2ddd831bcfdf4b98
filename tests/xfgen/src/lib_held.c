/* A member whose address a library keeps (E_HELD), in heap objects whose layout
 * changes: they would move, so xfgen stops. */
#include "kitsune.h"

struct timer {
    long when, period;
};

struct job {
#if VERSION == 1
    int id;
#else
    long id;
#endif
    struct timer t E_HELD(mytimers);
};

struct job *current;

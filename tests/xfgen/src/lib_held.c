/* A member whose address a library keeps (E_HELD), in heap objects whose new layout
 * moves it: the objects cannot be rebuilt where they are, so xfgen stops. */
#include "kitsune.h"

struct timer {
    long when, period;
};

struct job {
#if VERSION == 1
    int id;
    struct timer t E_HELD(mytimers);
#else
    struct timer t E_HELD(mytimers);
    int id;
#endif
};

struct job *current;

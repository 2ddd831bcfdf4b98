/* Objects that may be allocated without their E_OPTIONAL tail; version 2 moves a field
 * into that tail, which a short object does not have. */
#include "kitsune.h"

struct vmpart {
    long page, used;
};

struct robj {
    int type;
#if VERSION == 1
    int refcount;
#endif
    struct vmpart vm E_OPTIONAL;
#if VERSION == 2
    int refcount;
#endif
};

struct robj *shared;

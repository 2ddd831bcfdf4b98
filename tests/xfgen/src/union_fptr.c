/* A union of a function pointer and a data pointer that is not E_OPAQUE: the planner
 * cannot tell a data value from a function, so it asks for the annotation; the same
 * union with the data pointer E_OPAQUE needs nothing. */
#include "kitsune.h"

union handler {
    void (*fn)(void);
    void *arg;
};

union handler_ok {
    void (*fn)(void);
    void * E_OPAQUE arg;
};

union handler handlers[2];
union handler_ok handlers_ok[2];

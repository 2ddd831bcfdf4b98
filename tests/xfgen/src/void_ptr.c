/* An unannotated void * reachable from a variable (also when nothing changed); an
 * E_OPAQUE one is fine. */
#include "kitsune.h"

struct holder {
    void *ctx;
    void * E_OPAQUE cookie;
};

struct holder holder;

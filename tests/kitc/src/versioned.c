/* versioned.c - the annotation exists only in version 2: kitc must parse the source
 * with the same -DVERSION=2 as the build. */
#include "kitsune.h"
struct item {
#if VERSION == 2
    struct item * E_OPAQUE link;
#else
    struct item *link;
#endif
};
struct item it;

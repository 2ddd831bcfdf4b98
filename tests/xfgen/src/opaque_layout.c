/* Opaque is not blind: the objects behind an E_OPAQUE pointer are never transformed,
 * so a change of their layout is refused - for a typed pointer (through its pointer
 * levels), and for a void * by the types kitc saw it hold.  Unchanged types, library
 * types and a void * without evidence are no concern. */
#include <stdio.h>

#include "kitsune.h"

struct payload {            /* held by a void * E_OPAQUE, changes */
    int count;
#if VERSION == 2
    int limit;
#endif
};

struct item {               /* behind item ** E_OPAQUE, changes */
#if VERSION == 1
    int key;
#else
    long key;
#endif
};

struct steady {             /* behind an E_OPAQUE pointer, unchanged */
    int n;
};

struct server {
    void * E_OPAQUE state;              /* holds a struct payload */
    struct item ** E_OPAQUE table;
    struct steady * E_OPAQUE calm;
    FILE * E_OPAQUE log;
    void * E_OPAQUE blob;               /* no evidence */
};

struct server srv;

void setup(struct payload *p)
{
    srv.state = p;
}

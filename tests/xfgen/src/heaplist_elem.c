/* A heap list whose element type version 2 misspells: a type neither version has. */
#include "kitsune.h"

struct conn {
    int fd;
};

struct conn *first;
#if VERSION == 1
kitsune_heaplist E_G(struct conn) conns;
#else
kitsune_heaplist E_G(struct connection) conns;
#endif

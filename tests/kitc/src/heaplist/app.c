/* A heap list of connections with kitsune.h included from a system directory
 * (-isystem), as an installed kitsune is: kitc still reads the header's annotations. */
#include <kitsune.h>

struct conn {
    int fd;
};

kitsune_heaplist E_G(struct conn) conns;
kitsune_heaplist plain;

/* An anonymous union holding pointers: the diagnostic and its stub name the field it
 * is reached by (a rule for struct cell.v is the one that can be written), not
 * "union <anonymous>". */
#include "kitsune.h"

struct cell {
    int tag;
    union {
        long i;
        char *s;
    } v;
};

struct cell cells[2];

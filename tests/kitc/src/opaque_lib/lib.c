/* lib.c - defines the library's struct entry (see lib.h). */
#include <stdlib.h>

#include "lib.h"

struct entry {
    double weight;
    struct entry *next;
};

struct entry *lib_first(void)
{
    return calloc(1, sizeof(struct entry));
}

/* flex_init.c - kitc test: a static flexible array member with an initialiser (a GNU
 * extension) makes the object larger than its type; kitc refuses it unless it is
 * migrated by hand. */
#include "kitsune.h"

struct flex {
    int n;
    int item[];
};

#ifndef ONLY_MANUAL
struct flex flex_auto = {2, {7, 8}};
#endif
struct flex flex_manual E_MANUAL_MIGRATE = {3, {1, 2, 3}};

/* bad_generic.c - an E_GENERIC parameter without '@': kitc must fail. */
#include "kitsune.h"
struct g E_GENERIC(t) {
    int a;
};
struct g gg;

/* layout.c - variables reaching every type of layout.h (see layout_check.c). */
#include "layout.h"

struct holder holder;
struct nest nest;
struct wire wire;
pair_t pair;

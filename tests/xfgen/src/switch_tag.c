/* SWITCH rules the planner refuses (tests/xfgen/src/switch_bad.xf): on a typed pointer,
 * on a tag that is not an integer, on a tag the struct does not have, with a case that
 * is neither an integer nor an enumerator, with a case type the program lacks, on a
 * field that does not exist.  The SWITCH on `bits`, by a bitfield tag, is fine. */
#include "kitsune.h"

struct a {
    int x;
#if VERSION == 2
    int y;
#endif
};

struct b {
    int y;
};

enum kind { K_NONE, K_A, K_B };

struct holder {
    enum kind kind;
    char name[8];
    unsigned small : 3;
    unsigned spare : 5;
    struct a *typed;
    void *data;
    void *other;
    void *more;
    void *fourth;
    void *bits;
};

struct holder holders[2];

void fill(struct a *x, struct b *y)
{
    holders[0].bits = x;
    holders[1].bits = y;
}

/* gcc_only.c - a GNU C nested function, which clang cannot parse: an error of kitc,
 * or with --allow-unparsed a warning and no annotations from this file. */
#include "kitsune.h"
struct holder {
    int * E_OPAQUE p;
};
struct holder h;
int outer(int x)
{
    int inner(int y) { return y + 1; }
    return inner(x);
}

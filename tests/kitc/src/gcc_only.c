/* gcc_only.c - a GNU C nested function, which clang cannot parse: kitc warns and goes
 * on without this file's annotations. */
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

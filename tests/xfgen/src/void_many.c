/* Many void * in one program: every one is reported in the same run, grouped by kind
 * with the other diagnostics; one whose type the source shows is inferred (no
 * diagnostic), one seen with two types names both. */
#include "kitsune.h"

struct a {
    int x;
};

struct b {
    int y;
};

struct conn {
    void *user;              /* no evidence */
#if VERSION == 1
    long bytes;
#else
    short bytes;             /* narrowed: a diagnostic of another kind */
#endif
    void *peer;              /* no evidence */
    void *either;            /* a struct a and a struct b */
    void *typed;             /* a struct a: inferred */
    void * E_OPAQUE cookie;  /* annotated */
};

struct conn conns[2];
void *g_one;                 /* no evidence */
#if VERSION == 1
int level;
#else
char level;                  /* narrowed */
#endif
void *g_two;                 /* no evidence */

void fill(struct a *x, struct b *y)
{
    conns[0].either = x;
    conns[1].either = y;
    conns[0].typed = x;
}

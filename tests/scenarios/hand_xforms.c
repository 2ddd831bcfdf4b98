/* Hand-written per-variable transformers, named with Kitsune's GLOBAL_XFORM,
 * STATIC_XFORM, LOCAL_XFORM and LOCAL_STATIC_XFORM (the file written with `_` for `.`):
 * MIGRATE_* in the new version runs them in place of the plain copy. */
#include "scenario.h"

int x = 100;
static int y = 200;

#if VERSION == 2
void GLOBAL_XFORM(x)(void *out)
{
    *(int *)out = *(int *)GET_OLD_GLOBAL(x) + 5;
}

void STATIC_XFORM(hand_xforms_c, y)(void *out)
{
    *(int *)out = *(int *)GET_OLD_STATIC(hand_xforms.c, y) + 5;
}

void LOCAL_XFORM(main, q)(void *out)
{
    *(int *)out = *(int *)GET_OLD_LOCAL(main, q) + 5;
}

void LOCAL_STATIC_XFORM(hand_xforms_c, main, z)(void *out)
{
    *(int *)out = *(int *)GET_OLD_LOCAL_STATIC(hand_xforms.c, main, z) + 5;
}
#endif

int main(void)
{
    static int z = 300;
    int q = 400;
    if (!kitsune_is_updating()) {
        x = 101;
        y = 201;
        z = 301;
        q = 401;
    }
    CHECK(VERSION == 1 || MIGRATE_GLOBAL(x) == 1);
    NOTE_AND_MIGRATE_LOCAL_STATIC(main, z);
    NOTE_AND_MIGRATE_STATIC(y);
    NOTE_AND_MIGRATE_LOCAL(q);
    if (kitsune_is_updating()) {
        CHECK_INT(x, 106);
        CHECK_INT(y, 206);
        CHECK_INT(z, 306);
        CHECK_INT(q, 406);
        scenario_report();
    } else {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        usleep(1000);
    }
}

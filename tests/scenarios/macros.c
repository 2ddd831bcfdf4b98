/* Kitsune's manual migration macros: MIGRATE_STATIC, MIGRATE_LOCAL_STATIC, the NOTE_*
 * and NOTE_AND_MIGRATE_* forms, ENTER_FUNC/EXIT_FUNC frames, GET_OLD/NEW_LOCAL, and the
 * "if (!MIGRATE_GLOBAL(g)) initialise g" idiom. */
#include "scenario.h"

int configured E_MANUAL_MIGRATE;   /* the idiom: migrated by hand, else initialised */
static int hits E_MANUAL_MIGRATE;
static int manual_noted E_MANUAL_MIGRATE;

static int bump(void)
{
    static int calls E_MANUAL_MIGRATE;
    if (kitsune_is_updating())
        MIGRATE_LOCAL_STATIC(bump, calls);
    return ++calls;
}

static int worker(int rounds)
{
    ENTER_FUNC();
    int done = 0;
    NOTE_LOCAL(done);
    for (int i = 0; i < rounds; i++)
        done++;
    int result = done;
    EXIT_FUNC();
    return result;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!MIGRATE_GLOBAL(configured))
        configured = 100 + VERSION;
    long loops = 0;
    NOTE_LOCAL(loops);
    if (!kitsune_is_updating()) {
        hits = 7;
        manual_noted = 9;
        NOTE_STATIC(manual_noted);
        bump();
        bump();
        CHECK_INT(worker(3), 3);
        /* The frame of worker() is gone: its noted local is no longer listed. */
        CHECK(GET_NEW_LOCAL(worker, done) == NULL);
        CHECK(GET_NEW_LOCAL(main, loops) == &loops);
    } else {
        CHECK_INT(configured, 101);   /* kept from version 1, not re-initialised */
        CHECK_INT(hits, 0);           /* manual: not yet migrated */
        CHECK(MIGRATE_STATIC(hits));
        CHECK_INT(hits, 7);
        CHECK(NOTE_AND_MIGRATE_STATIC(manual_noted));
        CHECK_INT(manual_noted, 9);
        CHECK_INT(bump(), 3);
        long *old_loops = GET_OLD_LOCAL(main, loops);
        CHECK(old_loops != NULL && *old_loops > 0);
        CHECK(NOTE_AND_MIGRATE_LOCAL(loops));
        CHECK(loops > 0);
        CHECK(GET_OLD_LOCAL(worker, done) == NULL);
        scenario_report();
    }
    if (!kitsune_is_updating()) {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        loops++;
        usleep(1000);
    }
}

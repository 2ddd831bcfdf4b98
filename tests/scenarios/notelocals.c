/* Locals of E_NOTELOCALS functions, found in the old main thread's frames at the update
 * point: one unchanged, one whose struct type grew (rebuilt by the plan), one changed by
 * a rule with code, a global that became a local and a local that became a global
 * (notelocals.v2.xf).  The first version never takes their addresses, so at -O2 they
 * may sit in callee-saved registers; built with gcc and clang at -O0 and -O2. */
#include "scenario.h"

#if VERSION == 1
struct session {
    int id;
    char user[8];
};
int hits; /* a local of serve in version 2 */
#else
struct session {
    int id;
    long bytes; /* new: set by the INIT rule */
    char user[8];
};
int limit; /* a local of serve in version 1 */
#endif

/* Keeps the session in memory (its address escapes), as a real server's would. */
__attribute__((noinline)) static void fill(struct session *s)
{
    s->id = 7;
    strcpy(s->user, "ann");
}

/* A value the compiler cannot foresee (a local that only ever held constants could be
 * folded away at -O2: notelocals_optimised.c). */
static volatile int ninety_nine = 99;

__attribute__((noinline)) static void serve(void) E_NOTELOCALS
{
    int served = 0;
    long total = 3;
    struct session sess = {0};
#if VERSION == 1
    int limit = 0;
#else
    int hits = 0;
    if (kitsune_is_updating()) {
        CHECK(MIGRATE_LOCAL(served));
        CHECK(MIGRATE_LOCAL(total));
        CHECK(MIGRATE_LOCAL(sess));
        CHECK(MIGRATE_LOCAL(hits));
        CHECK_INT(served, 10);
        CHECK_INT(total, 420); /* the rule's code: x 10 */
        CHECK_INT(sess.id, 7);
        CHECK_INT(sess.bytes, 512);
        CHECK_STR(sess.user, "ann");
        CHECK_INT(hits, 5);
        CHECK_INT(limit, ninety_nine);
        scenario_report();
    }
#endif
    for (;;) {
        kitsune_update("loop");
        if (served < 10 && ++served == 10) {
            fill(&sess);
            total = 42;
#if VERSION == 1
            limit = ninety_nine;
            hits = 5;
            printf("ready\n");
            fflush(stdout);
#endif
        }
        if (total + served + sess.id > 1000000) /* keeps them alive */
            printf("%ld\n", total);
#if VERSION == 1
        if (limit < 0)
            printf("%d\n", limit);
#else
        if (hits < 0)
            printf("%d\n", hits);
#endif
        usleep(1000);
    }
}

int main(void)
{
    kitsune_do_automigrate();
    serve();
}

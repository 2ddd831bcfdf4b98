/* A restarted thread is updating until it is back at the point it left from: until
 * then it migrates its own noted locals and looks up the old version's addresses,
 * although the main thread has committed and the old version is retired. */
#include <pthread.h>

#include "scenario.h"

typedef void handler_fn(long *);

void count_v1(long *n) { *n += 1; }
void count_v2(long *n) { *n += 2; }

int checked; /* v2: the worker checked what it migrated */
static int counted; /* v1: the worker has counted once, so v2 finds done > 0 */

static void *worker(void *arg)
{
    (void)arg;
    long done = 0;
    handler_fn *handler = VERSION == 1 ? count_v1 : count_v2;
    NOTE_LOCAL(done);
    NOTE_LOCAL(handler);
    if (kitsune_is_updating()) {
        CHECK(MIGRATE_LOCAL(done));
        CHECK(done > 0);
        CHECK(MIGRATE_LOCAL(handler));
        /* The old version's function, found by its key in the retired version. */
        const char *key = kitsune_lookup_addr_old((void *)handler);
        CHECK_STR(key, "count_v1");
        CHECK(kitsune_lookup_key_new("count_v1") != NULL);
        handler = count_v2;
        handler(&done);
        __atomic_store_n(&checked, 1, __ATOMIC_SEQ_CST);
    }
    for (;;) {
        kitsune_update("work");
        handler(&done);
        __atomic_store_n(&counted, 1, __ATOMIC_SEQ_CST);
        usleep(500);
    }
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        pthread_t t;
        if (kitsune_pthread_create(&t, NULL, worker, NULL))
            return 1;
        while (!__atomic_load_n(&counted, __ATOMIC_SEQ_CST))
            usleep(500);
        printf("ready\n");
        fflush(stdout);
    }
    int reported = 0;
    for (;;) {
        kitsune_update("main");
        if (VERSION == 2 && !reported && __atomic_load_n(&checked, __ATOMIC_SEQ_CST)) {
            scenario_report();
            reported = 1;
        }
        usleep(1000);
    }
}

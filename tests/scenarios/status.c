/* What `kitsune status` shows (tests/lib/run_cli.sh): the main thread loops through
 * update point "main-loop", a worker through "worker-loop"; only the fast path passes
 * them while no update is pending. */
#include <pthread.h>

#include "scenario.h"

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        kitsune_update("worker-loop");
        usleep(1000);
    }
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
    pthread_t t;
    if (!kitsune_is_updating())
        kitsune_pthread_create(&t, NULL, worker, NULL);
    scenario_loop("main-loop");
}

/* A thread that never reaches an update point: the update is refused after the
 * quiescence timeout, and the program goes on in the old version.
 * kitsune-test: outcomes=refused env=KITSUNE_QUIESCE_TIMEOUT_MS=300 */
#include <pthread.h>

#include "scenario.h"

volatile long spins;

static void *spinner(void *arg)
{
    (void)arg;
    for (;;)
        spins++; /* no update point */
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        pthread_t t;
        kitsune_pthread_create(&t, NULL, spinner, NULL);
    }
    scenario_loop("loop");
}

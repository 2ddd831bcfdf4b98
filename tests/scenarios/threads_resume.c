/* After each of several self-updates, every restarted thread keeps working: none may
 * park again at its update point once the update has committed.
 * kitsune-test: outcomes=committed,committed,committed */
#include <pthread.h>

#include "scenario.h"

long work[4];

static void *busy(void *arg)
{
    long *counter = arg;
    for (;;) {
        kitsune_update("busy");
        __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
        usleep(500);
    }
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
    int check = kitsune_is_updating();
    if (!check) {
        for (int i = 0; i < 4; i++) {
            pthread_t t;
            kitsune_pthread_create(&t, NULL, busy, &work[i]);
        }
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("main");
        if (check && !kitsune_is_updating()) {
            check = 0;
            long before[4];
            for (int i = 0; i < 4; i++)
                before[i] = __atomic_load_n(&work[i], __ATOMIC_RELAXED);
            /* Each thread must count again: waited for, up to 10 s, not slept on. */
            for (int i = 0; i < 4; i++) {
                int ms = 0;
                while (__atomic_load_n(&work[i], __ATOMIC_RELAXED) == before[i] && ms < 10000) {
                    usleep(1000);
                    ms++;
                }
                CHECK(__atomic_load_n(&work[i], __ATOMIC_RELAXED) > before[i]);
            }
            scenario_report();
        }
        usleep(1000);
    }
}

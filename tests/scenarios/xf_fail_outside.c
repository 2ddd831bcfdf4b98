/* kitsune_xf_fail called outside an update (a transformer helper the program also
 * calls from its own code): there is nothing to roll back, and the program must not be
 * killed.  The calling thread stops, the log says why, the rest goes on: version 2's
 * main thread still counts and reports after that thread called it. */
#include <pthread.h>

#include "scenario.h"
#include "kitsune_xf.h"

int ticks;
int caller_started;

static void *call_fail(void *arg)
{
    (void)arg;
    __atomic_store_n(&caller_started, 1, __ATOMIC_SEQ_CST);
    kitsune_xf_fail("called by the program itself (%d)", 7);
}

int main(void)
{
    kitsune_do_automigrate();
    int reported = 0, since = -1;
    if (!kitsune_is_updating()) {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        if (VERSION == 2 && !kitsune_is_updating() && since < 0) {
            pthread_t t;
            CHECK(pthread_create(&t, NULL, call_fail, NULL) == 0);
            since = ticks;
        }
        if (VERSION == 2 && since >= 0 && !reported &&
            __atomic_load_n(&caller_started, __ATOMIC_SEQ_CST) && ticks > since + 50) {
            scenario_report(); /* 50 ms after the call, the process still runs */
            reported = 1;
        }
        ticks++;
        usleep(1000);
    }
}

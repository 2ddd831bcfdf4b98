/* Four threads made with kitsune_pthread_create - two busy, one blocked in a wakeable
 * condition wait, one blocked in read() - all reach update points before the state is
 * transferred, and restart in the new version's start functions with their arguments. */
#include <pthread.h>

#include "scenario.h"

struct worker {
    int id;
    long work;
};

struct worker workers[4];
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t never = PTHREAD_COND_INITIALIZER;
int pipefd[2];
int restarted; /* v2: threads that came back in the new code */

static void *busy(void *arg)
{
    struct worker *w = arg;
    if (kitsune_is_updating_from("busy")) {
        __atomic_add_fetch(&restarted, VERSION == 2 ? 1 : 0, __ATOMIC_SEQ_CST);
        if (w != &workers[w->id])
            printf("FAIL busy worker argument not carried over\n");
    }
    for (;;) {
        kitsune_update("busy");
        w->work++;
        usleep(500);
    }
    return NULL;
}

static void *waiter(void *arg)
{
    struct worker *w = arg;
    if (kitsune_is_updating_from("wait"))
        __atomic_add_fetch(&restarted, VERSION == 2 ? 1 : 0, __ATOMIC_SEQ_CST);
    for (;;) {
        kitsune_update("wait");
        pthread_mutex_lock(&lock);
        ktthreads_pthread_cond_wait(&never, &lock);
        pthread_mutex_unlock(&lock);
        w->work++;
    }
    return NULL;
}

static void *reader(void *arg)
{
    struct worker *w = arg;
    if (kitsune_is_updating_from("read"))
        __atomic_add_fetch(&restarted, VERSION == 2 ? 1 : 0, __ATOMIC_SEQ_CST);
    for (;;) {
        kitsune_update("read");
        char c;
        if (read(pipefd[0], &c, 1) == 1)
            w->work++;
    }
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        if (pipe(pipefd) < 0)
            return 1;
        for (int i = 0; i < 4; i++) {
            workers[i].id = i;
            pthread_t t;
            kitsune_pthread_create(&t, NULL, i < 2 ? busy : i == 2 ? waiter : reader,
                                   &workers[i]);
        }
        printf("ready\n");
        fflush(stdout);
    }
    int reported = 0;
    for (;;) {
        kitsune_update("main");
        if (VERSION == 2 && !reported && !kitsune_is_updating() &&
            __atomic_load_n(&restarted, __ATOMIC_SEQ_CST) == 4) {
            /* The busy threads work again in the new code (their counts, carried over,
             * were already above 0: they must grow now), waited for up to 10 s. */
            long before[2] = {workers[0].work, workers[1].work};
            for (int ms = 0; ms < 10000; ms++) {
                if (__atomic_load_n(&workers[0].work, __ATOMIC_RELAXED) > before[0] &&
                    __atomic_load_n(&workers[1].work, __ATOMIC_RELAXED) > before[1])
                    break;
                usleep(1000);
            }
            CHECK(workers[0].work > before[0] && workers[1].work > before[1]);
            scenario_report();
            reported = 1;
        }
        usleep(1000);
    }
}

/* A thread that goes back to the old version after a failed or refused update finds
 * what it left: errno, its signal mask, its alternate signal stack and its
 * floating-point environment, on the main thread and on a worker.  Version 2 fails
 * (its main changes all four, then returns before its update point: rolled back), the
 * next attempt is refused at quiescence, and version 3 commits and checks that no
 * resume of version 1 saw anything changed.
 * kitsune-test: outcomes=rolled_back,refused,committed faults=,quiesce, */
#include <errno.h>
#include <fenv.h>
#include <pthread.h>
#include <signal.h>

#include "scenario.h"

int resume_failures; /* carried over: what version 1 saw on resuming */

struct expected {
    int err;
    int blocked;   /* a signal this thread keeps blocked */
    void *altstack;
    int rounding;
};

static void enter(const struct expected *e)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, e->blocked);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    fesetround(e->rounding);
    errno = e->err;
}

/* Checks the thread's state right after its update point returned. */
static void check_resumed(const struct expected *e, const char *who)
{
    int err = errno; /* first: anything below may change it */
    sigset_t now;
    stack_t alt;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    sigaltstack(NULL, &alt);
    int bad = 0;
    if (err != e->err) {
        printf("FAIL %s: errno %d after resuming, expected %d\n", who, err, e->err);
        bad = 1;
    }
    if (!sigismember(&now, e->blocked) || sigismember(&now, SIGTERM)) {
        printf("FAIL %s: signal mask changed\n", who);
        bad = 1;
    }
    if (alt.ss_sp != e->altstack || (alt.ss_flags & SS_DISABLE)) {
        printf("FAIL %s: alternate signal stack %p, expected %p\n", who, alt.ss_sp,
               e->altstack);
        bad = 1;
    }
    if (fegetround() != e->rounding) {
        printf("FAIL %s: rounding mode changed\n", who);
        bad = 1;
    }
    fflush(stdout);
    if (bad)
        __atomic_add_fetch(&resume_failures, 1, __ATOMIC_RELAXED);
}

static void install_altstack(void **where)
{
    stack_t ss = {.ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    *where = ss.ss_sp;
}

/* Restarted in version 3's worker by the committed update (external: found by key). */
void *worker(void *arg)
{
    (void)arg;
#if VERSION == 3
    for (;;) {
        kitsune_update("worker");
        usleep(500);
    }
#endif
    struct expected e = {.err = EDOM, .blocked = SIGUSR2, .rounding = FE_DOWNWARD};
    install_altstack(&e.altstack);
    for (;;) {
        enter(&e);
        kitsune_update("worker");
        check_resumed(&e, "worker");
        usleep(500);
    }
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
#if VERSION == 2
    if (kitsune_is_updating()) {
        /* A failing new version that disturbs its thread before it gives up. */
        errno = EINVAL;
        fesetround(FE_TOWARDZERO);
        stack_t ss = {.ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ, .ss_flags = 0};
        sigaltstack(&ss, NULL);
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        return 3;
    }
#endif
#if VERSION == 3
    CHECK(kitsune_is_updating());
    CHECK_INT(resume_failures, 0);
    scenario_report();
    scenario_loop("main");
#else
    if (!kitsune_is_updating()) {
        pthread_t t;
        kitsune_pthread_create(&t, NULL, worker, NULL);
    }
    struct expected e = {.err = ERANGE, .blocked = SIGUSR1, .rounding = FE_UPWARD};
    install_altstack(&e.altstack);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        enter(&e);
        kitsune_update("main");
        check_resumed(&e, "main");
        usleep(500);
    }
#endif
}
